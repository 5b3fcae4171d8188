package org.pcipass.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.pcipass.PcipassException;

/**
 * The API's bearer tokens: a file of {@code NAME ROLE SECRET} lines ({@code #} comments and blank
 * lines allowed), by default {@code STATE/tokens}. The server refuses to start on a file that others
 * could read or write, that another user owns, or that does not follow the format: a token is a
 * password.
 *
 * <p>Secrets are 256 random bits from {@link SecureRandom}, base64url without padding; they are shown
 * once, when made, and compared in constant time. There is no built-in token.
 */
public final class Tokens {
    /** What a token may do: {@code viewer} reads, {@code admin} also changes the host. */
    public enum Role {
        VIEWER, ADMIN;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The role named by {@code text} ({@code viewer} or {@code admin}), or null. */
        public static Role of(String text) {
            for (Role r : values()) {
                if (r.text().equals(text)) {
                    return r;
                }
            }
            return null;
        }

        public boolean mayChange() {
            return this == ADMIN;
        }
    }

    /** One token; its secret never leaves this class but through {@link #add}'s answer. */
    public record Token(String name, Role role, String secret) {
        @Override
        public String toString() {
            return "Token[" + name + ", " + role.text() + "]";
        }
    }

    /** A name: letters, digits, dot, dash, underscore and @, 1-64 of them (a person, a tool, a host). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    /** A secret as this class makes them, or one an admin wrote: 22+ base64url characters (128+ bits). */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{22,256}");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    /** the file's text as it was read ("" when there is no file): what add and remove rewrite */
    private final String text;
    private final List<Token> tokens;

    private Tokens(Path file, String text) {
        this.file = file;
        this.text = text;
        this.tokens = parse(file, text);
    }

    /** The tokens file under a state directory. */
    public static Path defaultFile(Path stateDir) {
        return stateDir.resolve("tokens");
    }

    /**
     * Reads and checks the file as the server does before it listens.
     *
     * @throws PcipassException.BadInput naming the file and the fix: missing, not a regular file, open
     *     to group or others, owned by another user, or not in the format
     */
    public static Tokens load(Path file) {
        checkFile(file, true);
        return new Tokens(file, read(file));
    }

    /** The tokens, with no check of the file's mode or owner (token list reads it so). */
    public static Tokens read(Path file, boolean mustExist) {
        if (!mustExist && !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return new Tokens(file, "");
        }
        checkFile(file, false);
        return new Tokens(file, read(file));
    }

    /** No token at all: what a server holds while its tokens file cannot be used (it fails closed). */
    static Tokens none(Path file) {
        return new Tokens(file, "");
    }

    public Path file() {
        return file;
    }

    public List<Token> all() {
        return tokens;
    }

    /**
     * The token whose secret is {@code presented}, or null. Every secret is compared, each in constant
     * time ({@link MessageDigest#isEqual}), so that the answer's time says nothing about the secrets.
     */
    public Token authenticate(String presented) {
        if (presented == null) {
            return null;
        }
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        Token found = null;
        for (Token t : tokens) {
            if (MessageDigest.isEqual(given, t.secret().getBytes(StandardCharsets.UTF_8)) && found == null) {
                found = t;
            }
        }
        return found;
    }

    /**
     * Appends a token named {@code name} with a new secret and returns it (the only time the secret is
     * shown). Creates the file (mode 0600) and its directory when missing.
     *
     * @throws PcipassException.BadInput for a bad name or role, or a name already taken
     */
    public static Token add(Path file, String name, String role) {
        checkName(name);
        Role r = Role.of(role);
        if (r == null) {
            throw new PcipassException.BadInput("--role " + quote(role) + " is not a role; give viewer (reads) or"
                    + " admin (reads and changes)");
        }
        return locked(file, () -> {
            Tokens now = read(file, false);
            if (now.tokens.stream().anyMatch(t -> t.name().equals(name))) {
                throw new PcipassException.BadInput("a token named " + name + " exists in " + file
                        + "; remove it first (pcipass token remove " + name + ") or choose another name");
            }
            byte[] raw = new byte[32];
            RANDOM.nextBytes(raw);
            Token t = new Token(name, r, Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
            String text = now.text.isEmpty() || now.text.endsWith("\n") ? now.text : now.text + "\n";
            write(file, text + t.name() + " " + t.role().text() + " " + t.secret() + "\n");
            return t;
        });
    }

    /**
     * Removes the token named {@code name}, keeping every other line as it was.
     *
     * @throws PcipassException.BadInput when no token has that name
     */
    public static void remove(Path file, String name) {
        checkName(name);
        locked(file, () -> {
            Tokens now = read(file, false);
            if (now.tokens.stream().noneMatch(t -> t.name().equals(name))) {
                throw new PcipassException.BadInput("no token named " + name + " in " + file
                        + "; see the names with pcipass token list");
            }
            String text = now.text;
            StringBuilder kept = new StringBuilder();
            int start = 0;
            while (start < text.length()) {
                int nl = text.indexOf('\n', start);
                int end = nl < 0 ? text.length() : nl + 1;
                String[] f = fields(text.substring(start, end));
                if (f == null || f.length != 3 || !f[0].equals(name)) {
                    kept.append(text, start, end);
                }
                start = end;
            }
            write(file, kept.toString());
            return null;
        });
    }

    // ---- the file -----------------------------------------------------------------------------

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new PcipassException.BadInput("token name " + quote(name) + " is not usable; give 1-64 letters,"
                    + " digits, '.', '-', '_' or '@', starting with a letter or digit");
        }
    }

    /** The file must be a regular file; for the server also 0600 or 0400 and the server's user's. */
    private static void checkFile(Path file, boolean strict) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new PcipassException.BadInput("token file " + file + " does not exist; make a token with pcipass"
                    + " token add NAME --role admin (or name the file with --token-file)");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new PcipassException.BadInput("token file " + file + " is not a regular file (a directory or a"
                    + " symbolic link); name a file that holds NAME ROLE SECRET lines");
        }
        if (!strict) {
            return;
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> open = new HashSet<>(mode);
            open.retainAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE));
            if (!open.isEmpty()) {
                throw new PcipassException.BadInput("token file " + file + " is "
                        + PosixFilePermissions.toString(mode) + ": group or others can read or write it; run"
                        + " chmod 600 " + file);
            }
            String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
            String me = System.getProperty("user.name");
            if (!owner.equals(me)) {
                throw new PcipassException.BadInput("token file " + file + " is owned by " + owner + ", not by "
                        + me + " who runs the server; run chown " + me + " " + file);
            }
        } catch (IOException e) {
            throw new PcipassException.BadInput("token file " + file + " cannot be checked: " + e.getMessage());
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new PcipassException.BadInput("token file " + file + " is not UTF-8 text; it should hold NAME ROLE"
                    + " SECRET lines");
        } catch (NoSuchFileException e) {
            throw new PcipassException.BadInput("token file " + file + " does not exist");
        } catch (IOException e) {
            throw new PcipassException.BadInput("token file " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** A line's fields (NAME ROLE SECRET when it is right), or null for a comment or a blank line. */
    private static String[] fields(String line) {
        String s = line.strip();
        return s.isEmpty() || s.startsWith("#") ? null : s.split("[ \t]+");
    }

    /** The tokens of a file's text; garbled lines, and names or secrets used twice, are bad input. */
    static List<Token> parse(Path file, String text) {
        List<Token> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String[] f = fields(lines[i]);
            if (f == null) {
                continue;
            }
            String where = "token file " + file + " line " + (i + 1);
            if (f.length != 3) {
                throw new PcipassException.BadInput(where + " is not NAME ROLE SECRET; fix or remove the line"
                        + " (pcipass token add makes lines of that form)");
            }
            if (!NAME.matcher(f[0]).matches()) {
                throw new PcipassException.BadInput(where + ": the name is not 1-64 letters, digits, '.', '-', '_'"
                        + " or '@'; fix or remove the line");
            }
            Role role = Role.of(f[1]);
            if (role == null) {
                throw new PcipassException.BadInput(where + ": the role is neither viewer nor admin; fix the line");
            }
            if (!SECRET.matcher(f[2]).matches()) {
                throw new PcipassException.BadInput(where + ": the secret is not 22-256 base64url characters"
                        + " (128 bits or more); make a new token with pcipass token add");
            }
            if (!names.add(f[0])) {
                throw new PcipassException.BadInput(where + ": the name " + f[0] + " is used twice; remove one line");
            }
            if (!secrets.add(f[2])) {
                throw new PcipassException.BadInput(where + ": the secret of " + f[0] + " is another token's too;"
                        + " remove one line");
            }
            out.add(new Token(f[0], role, f[2]));
        }
        return Collections.unmodifiableList(out);
    }

    private interface Change<T> {
        T run() throws IOException;
    }

    /** One change of the file at a time (a lock file beside it), for two token commands at once. */
    private static <T> T locked(Path file, Change<T> change) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(dir.resolve("." + file.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = ch.lock()) {
                return change.run();
            }
        } catch (IOException e) {
            throw new PcipassException("cannot change token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A temporary file beside it (mode 0600 from its creation), fsynced, renamed over it. */
    private static void write(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.setPosixFilePermissions(tmp, OWNER_ONLY);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically in " + dir, e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code s} in single quotes, control characters as \\xNN: a user's string in a one-line message. */
    public static String quote(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder("'");
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.append('\'').toString();
    }
}
