package org.pcipass.guest;

/**
 * Where an attach or detach acts, as virsh's {@code --live}/{@code --config}: the running domain, its
 * persistent definition, or both.
 */
public enum Mode {
    LIVE("live"),
    CONFIG("config"),
    LIVE_CONFIG("live+config");

    private final String text;

    Mode(String text) {
        this.text = text;
    }

    /** The JSON and table form: {@code live}, {@code config}, {@code live+config}. */
    public String text() {
        return text;
    }

    public boolean live() {
        return this != CONFIG;
    }

    public boolean config() {
        return this != LIVE;
    }

    public static Mode of(boolean live, boolean config) {
        if (live && config) {
            return LIVE_CONFIG;
        }
        return config ? CONFIG : LIVE;
    }

    /** @throws IllegalArgumentException for anything but the three texts */
    public static Mode parse(String text) {
        for (Mode m : values()) {
            if (m.text.equals(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("mode '" + text + "' is not live, config or live+config");
    }
}
