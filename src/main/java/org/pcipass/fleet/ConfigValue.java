package org.pcipass.fleet;

/**
 * One value of a Nova-style multi-valued option — a {@code device_spec} or an {@code alias} — as JSON
 * text, with where it was written ({@code /etc/pcipass/spec.json}, {@code STATE/pcipass.conf line 4})
 * so that an error can name it.
 */
public record ConfigValue(String json, String where) {}
