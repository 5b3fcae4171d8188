package org.pcipass.guest;

import java.util.regex.Pattern;

/**
 * One word for a POSIX shell command line that pcipass prints for people to run. Words that only
 * hold characters no shell treats specially stay as they are; anything else is single-quoted, with
 * each {@code '} written as {@code '\''}. Guest names reach here already checked by
 * {@link GuestName}, which allows nothing that needs quoting: this is the second line of defence.
 */
public final class ShellWord {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.,:/@%+=-]+");

    private ShellWord() {}

    public static String quote(String word) {
        if (PLAIN.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
