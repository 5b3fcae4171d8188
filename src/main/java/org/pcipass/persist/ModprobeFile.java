package org.pcipass.persist;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.pcipass.PcipassException;

/**
 * One modprobe configuration file, kept as its exact text, with pcipass's block located.
 *
 * <p>pcipass owns only the lines from {@code # BEGIN pcipass} to {@code # END pcipass}; every other
 * byte is kept as it is (CRLF, a missing final newline, comments, backslash continuations). Lines
 * outside the block are read only to report conflicts and malformed lines, never changed.
 *
 * <p>Where the block goes when there is none: appended at the end. When the file does not end in a
 * newline, a newline is put before the block and the block's {@code # END pcipass} line gets none,
 * so that removing a block whose END line is unterminated also removes the newline before it: hide
 * then unhide gives back the original bytes. When the last line ends in a backslash (it would
 * continue into whatever follows it), the block goes at the start of the file instead.
 */
public final class ModprobeFile {
    public static final String BEGIN = "# BEGIN pcipass";
    public static final String END = "# END pcipass";
    private static final Set<String> DIRECTIVES =
            Set.of("alias", "options", "install", "remove", "blacklist", "softdep", "weakdep", "include", "config");

    private final String name;
    private final String text;
    private final List<Line> lines;
    private final int begin; // index of the BEGIN line, -1 without a block
    private final int end;

    /** A physical line: its content without {@code \n} (a CRLF line's content ends in {@code \r}) and its terminator. */
    private record Line(String content, String terminator) {
        String marker() {
            return content.strip();
        }

        boolean continues() {
            return content.endsWith("\\");
        }
    }

    /**
     * One line outside pcipass's block that configures a module the block configures too.
     *
     * @param line 1-based physical line number where the directive starts
     * @param text the logical line (continuations joined)
     */
    public record Conflict(String file, int line, String module, String text) {
        /** The report, with the fix. */
        public String message() {
            return file + " line " + line + " configures " + module + " outside pcipass's block (\"" + text
                    + "\"): delete or comment out that line, then run again; pcipass keeps its own lines between \""
                    + BEGIN + "\" and \"" + END + "\"";
        }
    }

    private ModprobeFile(String name, String text, List<Line> lines, int begin, int end) {
        this.name = name;
        this.text = text;
        this.lines = lines;
        this.begin = begin;
        this.end = end;
    }

    /**
     * Parses the file pcipass edits; {@code name} is how messages call it.
     *
     * @throws PcipassException.BadInput when the block is broken: a BEGIN without END, an END
     *     without BEGIN, or two blocks
     */
    public static ModprobeFile parse(String name, String text) {
        List<Line> lines = split(text);
        int begin = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String m = lines.get(i).marker();
            if (m.equals(BEGIN)) {
                if (begin >= 0 && end < 0) {
                    throw broken(name + " line " + (i + 1) + " opens a second pcipass block before line " + (begin + 1)
                            + "'s block is closed");
                }
                if (end >= 0) {
                    throw broken(name + " has two pcipass blocks (lines " + (begin + 1) + "-" + (end + 1)
                            + " and from line " + (i + 1) + ")");
                }
                begin = i;
            } else if (m.equals(END)) {
                if (begin < 0 || end >= 0) {
                    throw broken(name + " line " + (i + 1) + " has \"" + END + "\" without a \"" + BEGIN
                            + "\" before it");
                }
                end = i;
            }
        }
        if (begin >= 0 && end < 0) {
            throw broken(name + " line " + (begin + 1) + " has \"" + BEGIN + "\" but no \"" + END + "\" after it");
        }
        return new ModprobeFile(name, text, lines, begin, end);
    }

    /** Parses a file pcipass only reads (another file in modprobe.d): every line counts as outside a block. */
    public static ModprobeFile parseForeign(String name, String text) {
        return new ModprobeFile(name, text, split(text), -1, -1);
    }

    private static PcipassException broken(String what) {
        return new PcipassException.BadInput(what + "; pcipass owns only the lines between \"" + BEGIN + "\" and \""
                + END + "\": fix the markers by hand (or delete the block) and run again");
    }

    public String name() {
        return name;
    }

    public String text() {
        return text;
    }

    public boolean hasBlock() {
        return begin >= 0;
    }

    /** The lines inside the block, without terminators; empty without a block. */
    public List<String> blockBody() {
        return begin < 0 ? List.of() : lines.subList(begin + 1, end).stream().map(l -> strip(l.content())).toList();
    }

    /** Malformed lines outside the block, each left as it is: one message per line. */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        for (Logical l : logicalLines()) {
            if (l.crossesBlock) {
                warnings.add(name + " line " + l.number + " ends with a backslash and so continues into pcipass's"
                        + " block; remove the backslash");
            }
            if (l.dangling) {
                warnings.add(name + " line " + l.number + " ends with a backslash but no line follows; left as it is");
            }
            String problem = problem(l.words());
            if (problem != null) {
                warnings.add(name + " line " + l.number + ": " + problem + "; left as it is");
            }
        }
        return warnings;
    }

    /**
     * Lines outside the block that would fight the block: {@code options} for a stub module, and
     * {@code install}, {@code softdep} or {@code blacklist} for a stub or an original module.
     * Module names compare as modprobe compares them ({@code -} and {@code _} alike).
     */
    public List<Conflict> conflicts(Set<String> stubModules, Set<String> originalModules) {
        Set<String> stubs = normalized(stubModules);
        Set<String> all = normalized(originalModules);
        all.addAll(stubs);
        List<Conflict> conflicts = new ArrayList<>();
        for (Logical l : logicalLines()) {
            String[] w = l.words();
            if (w.length < 2) {
                continue;
            }
            String directive = w[0];
            String module = normalize(w[1]);
            boolean hit = directive.equals("options") ? stubs.contains(module)
                    : Set.of("install", "softdep", "blacklist").contains(directive) && all.contains(module);
            if (hit) {
                conflicts.add(new Conflict(name, l.number, w[1], l.joined.strip()));
            }
        }
        return conflicts;
    }

    /**
     * The paths of the {@code include} lines outside the block, in file order, as written: module-init-tools
     * reads each (a file, or every file in a directory); kmod ignores the directive.
     */
    public List<String> includes() {
        List<String> paths = new ArrayList<>();
        for (Logical l : logicalLines()) {
            String[] w = l.words();
            if (w.length >= 2 && w[0].equals("include")) {
                paths.add(w[1]);
            }
        }
        return paths;
    }

    /**
     * The file's text with the block's body replaced by {@code body} (one entry per line, no
     * terminators); an empty body removes the block, markers and all.
     */
    public String withBlock(List<String> body) {
        for (String l : body) {
            if (l.indexOf('\n') >= 0 || l.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("a block line holds a line break: " + l);
            }
        }
        if (body.isEmpty()) {
            return begin < 0 ? text : withoutBlock();
        }
        String block = BEGIN + "\n" + body.stream().map(l -> l + "\n").collect(Collectors.joining()) + END;
        if (begin >= 0) {
            return join(0, begin) + block + lines.get(end).terminator() + join(end + 1, lines.size());
        }
        if (lines.isEmpty()) {
            return block + "\n";
        }
        if (lines.get(lines.size() - 1).continues()) {
            return block + "\n" + text;
        }
        return text.endsWith("\n") ? text + block + "\n" : text + "\n" + block;
    }

    private String withoutBlock() {
        String before = join(0, begin);
        if (lines.get(end).terminator().isEmpty() && before.endsWith("\n")) {
            before = before.substring(0, before.length() - 1);
        }
        return before + join(end + 1, lines.size());
    }

    private String join(int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines.subList(from, to)) {
            sb.append(l.content()).append(l.terminator());
        }
        return sb.toString();
    }

    /** What is wrong with a directive line, or null (comments and blank lines are fine). */
    private static String problem(String[] w) {
        if (w.length == 0) {
            return null;
        }
        String d = w[0];
        if (!DIRECTIVES.contains(d)) {
            return "unknown directive \"" + d + "\"";
        }
        int needed = switch (d) {
            case "alias", "install", "remove", "softdep", "weakdep" -> 3;
            default -> 2;
        };
        if (w.length >= needed) {
            return null;
        }
        return switch (d) {
            case "alias" -> "\"alias\" needs a wildcard and a module name";
            case "install", "remove" -> "\"" + d + "\" needs a module name and a command";
            case "softdep", "weakdep" -> "\"" + d + "\" needs a module name and its dependencies";
            case "include", "config" -> "\"" + d + "\" needs an argument";
            default -> "\"" + d + "\" without a module name";
        };
    }

    /** A directive as modprobe reads it: physical lines joined where one ends in a backslash. */
    private static final class Logical {
        int number;
        String joined;
        boolean crossesBlock;
        boolean dangling;

        String[] words() {
            String s = joined.strip();
            return s.isEmpty() || s.startsWith("#") ? new String[0] : s.split("\\s+");
        }
    }

    private List<Logical> logicalLines() {
        List<Logical> result = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            if (i == begin) {
                i = end + 1;
                continue;
            }
            Logical l = new Logical();
            l.number = i + 1;
            StringBuilder sb = new StringBuilder(lines.get(i).content());
            while (lines.get(i).continues() && i + 1 < lines.size() && i + 1 != begin) {
                sb.setLength(sb.length() - 1);
                sb.append(lines.get(++i).content());
            }
            l.crossesBlock = lines.get(i).continues() && i + 1 == begin;
            l.dangling = lines.get(i).continues() && i + 1 == lines.size();
            l.joined = strip(sb.toString());
            result.add(l);
            i++;
        }
        return result;
    }

    private static String strip(String content) {
        return content.endsWith("\r") ? content.substring(0, content.length() - 1) : content;
    }

    private static List<Line> split(String text) {
        List<Line> lines = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            if (nl < 0) {
                lines.add(new Line(text.substring(from), ""));
                break;
            }
            lines.add(new Line(text.substring(from, nl), "\n"));
            from = nl + 1;
        }
        return lines;
    }

    private static Set<String> normalized(Set<String> modules) {
        return modules.stream().map(ModprobeFile::normalize).collect(Collectors.toSet());
    }

    private static String normalize(String module) {
        return module.replace('-', '_');
    }
}
