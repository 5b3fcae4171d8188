package org.pcipass.persist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The configuration files modprobe reads on one root besides pcipass's own file, for the conflict
 * check: {@link PersistTarget#neighbours()}. Every host path, an {@code include}'s and a link's
 * target too, is taken under the config root, as a chroot would take it.
 *
 * <p>kmod (every root but RHEL 5 and older): {@code /etc/modprobe.d}, {@code /run/modprobe.d},
 * {@code /usr/local/lib/modprobe.d}, {@code /usr/lib/modprobe.d}, {@code /lib/modprobe.d} in that
 * order (libkmod.c {@code default_config_paths}); in each, names ending in {@code .conf} (or
 * {@code .alias}, which kmod read until version 33) and not starting with a dot, no directories; a
 * name taken in an earlier directory hides the same name in the later ones, pcipass's
 * {@code pcipass.conf} included (libkmod-config.c {@code conf_files_list},
 * {@code conf_files_insert_sorted}). kmod does not parse {@code include}, so it is not followed.
 *
 * <p>module-init-tools 3.3-pre3 (RHEL 5, modprobe.c {@code read_config}, {@code read_config_file})
 * with Red Hat's patch that reads {@code /etc/modprobe.d} beside {@code /etc/modprobe.conf}: every
 * entry of a directory but {@code .} and {@code ..}, subdirectories too, no name filtered out;
 * {@code include PATH} in any of those files reads PATH, a file or a directory, where the line
 * stands. modprobe itself has no guard against include loops; here each file is read once.
 *
 * <p>The result maps each file's path as modprobe reaches it first (under the config root) to its
 * text, or to null when it exists but cannot be read. A file reached twice (an include repeated, a
 * loop, {@code /lib} a link to {@code /usr/lib}) is read once; pcipass's own file is left out: its
 * lines outside pcipass's block are checked where the block is planned.
 */
final class ModprobeConfigFiles {
    /** kmod's directories, first one wins. */
    static final List<String> KMOD_DIRS = List.of("etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
            "usr/lib/modprobe.d", "lib/modprobe.d");
    /** What module-init-tools reads besides {@code /etc/modprobe.conf} on RHEL 5. */
    static final String MIT_DIR = "etc/modprobe.d";
    /** The kernel's limit on links followed in one path lookup (ELOOP past it). */
    private static final int MAX_LINKS = 40;
    /**
     * Larger files are not read: no modprobe configuration is that big, and an {@code include} of a
     * directory such as {@code /var} must not read a disk image into memory.
     */
    static final long MAX_BYTES = 16L << 20;

    private final Path given;
    private final Path root;
    private final Map<String, String> files = new LinkedHashMap<>();
    private final Set<Path> seen = new HashSet<>();
    private boolean followIncludes;

    private ModprobeConfigFiles(Path configRoot) {
        this.given = configRoot;
        this.root = configRoot.toAbsolutePath().normalize();
    }

    /**
     * The files modprobe reads on the root besides {@code target} (relative to the root).
     *
     * @param moduleInitTools the root is RHEL 5 or older ({@link PersistTarget#isRhel5OrOlder})
     */
    static Map<String, String> read(Path configRoot, String target, boolean moduleInitTools) {
        return new ModprobeConfigFiles(configRoot).files(target, moduleInitTools);
    }

    private Map<String, String> files(String target, boolean moduleInitTools) {
        Path own = real(target);
        if (own != null) {
            seen.add(own);
        }
        followIncludes = moduleInitTools;
        if (moduleInitTools) {
            String text = own == null || !Files.isRegularFile(own) ? null : text(own);
            if (text != null) {
                followIncludes(target, text);
            }
            readConfig(MIT_DIR);
        } else {
            readKmod(Path.of(target).getFileName().toString());
        }
        return files;
    }

    /** kmod: one file per name across the directories, the first directory's; {@code ownName} is pcipass's. */
    private void readKmod(String ownName) {
        Map<String, String> byName = new TreeMap<>();
        byName.put(ownName, null); // taken by pcipass's file, which /etc/modprobe.d holds
        for (String dir : KMOD_DIRS) {
            Path real = real(dir);
            String[] names = real == null || !Files.isDirectory(real) ? new String[0] : list(dir, real);
            for (String name : names) {
                Path entry = kmodReads(name) ? real(dir + "/" + name) : null;
                if (entry != null && !Files.isDirectory(entry) && !byName.containsKey(name)) {
                    byName.put(name, dir + "/" + name); // a link to /dev/null masks the name too
                }
            }
        }
        byName.values().stream().filter(p -> p != null).forEach(this::readConfig);
    }

    private static boolean kmodReads(String name) {
        return !name.startsWith(".") && (name.endsWith(".conf") || name.endsWith(".alias"));
    }

    /** module-init-tools' read_config: a directory's every entry, or a file and what it includes. */
    private void readConfig(String hostPath) {
        Path real = real(hostPath);
        if (real == null || !seen.add(real)) {
            return;
        }
        if (Files.isDirectory(real)) {
            for (String name : list(hostPath, real)) {
                readConfig(hostPath + "/" + name);
            }
        } else if (Files.isRegularFile(real)) {
            String text = text(real);
            files.put(key(hostPath), text);
            if (text != null) {
                followIncludes(hostPath, text);
            }
        }
    }

    /** module-init-tools reads what a file includes where the line stands; kmod ignores the line. */
    private void followIncludes(String hostPath, String text) {
        if (!followIncludes) {
            return;
        }
        for (String include : ModprobeFile.parseForeign(hostPath, text).includes()) {
            readConfig(include);
        }
    }

    /** The names in a directory, sorted (modprobe takes readdir's order; sorted keeps reports stable). */
    private String[] list(String hostPath, Path dir) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(e -> names.add(e.getFileName().toString()));
        } catch (IOException | DirectoryIteratorException e) {
            files.put(key(hostPath), null);
        }
        String[] sorted = names.toArray(String[]::new);
        Arrays.sort(sorted);
        return sorted;
    }

    /** The file's text, or null when it cannot be read or is over {@link #MAX_BYTES}. */
    private static String text(Path file) {
        try {
            return Files.size(file) > MAX_BYTES ? null : new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    /** How reports name {@code hostPath}: under the config root as given, links not followed. */
    private String key(String hostPath) {
        return given.resolve(root.relativize(lexical(hostPath))).toString();
    }

    /** {@code hostPath} under the root without following links; {@code ..} stops at the root. */
    private Path lexical(String hostPath) {
        Path at = root;
        for (String c : hostPath.split("/")) {
            if (c.equals("..")) {
                at = at.equals(root) ? root : at.getParent();
            } else if (!c.isEmpty() && !c.equals(".")) {
                at = at.resolve(c);
            }
        }
        return at;
    }

    /**
     * {@code hostPath}'s real path under the root: links followed as the kernel follows them, an
     * absolute link target taken from the root, {@code ..} stopping at the root; null when the path
     * does not exist or its links loop.
     */
    private Path real(String hostPath) {
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(hostPath.split("/")));
        Path at = root;
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                at = at.equals(root) ? root : at.getParent();
                continue;
            }
            Path next = at.resolve(c);
            if (Files.isSymbolicLink(next)) {
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    return null;
                }
                if (++links > MAX_LINKS) {
                    return null;
                }
                List<String> parts = Arrays.asList(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
                if (target.startsWith("/")) {
                    at = root;
                }
                continue;
            }
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            at = next;
        }
        return at;
    }
}
