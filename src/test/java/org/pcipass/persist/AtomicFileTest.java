package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;

class AtomicFileTest {
    @TempDir
    Path dir;

    private List<String> tree() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void replacingKeepsThePreviousContentAsBakAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("modprobe.conf");
        Files.writeString(f, "old\n");

        AtomicFile.replace(f, AtomicFile.read(f), "new\n".getBytes(StandardCharsets.UTF_8));

        assertThat(Files.readString(f)).isEqualTo("new\n");
        assertThat(Files.readString(dir.resolve("modprobe.conf.pcipass.bak"))).isEqualTo("old\n");
        assertThat(tree()).containsExactly("", "modprobe.conf", "modprobe.conf.pcipass.bak");
    }

    @Test
    void aMissingDirectoryIsCreatedAndANewFileIsWorldReadable() throws IOException {
        Path f = dir.resolve("etc/modprobe.d/pcipass.conf");

        AtomicFile.replace(f, AtomicFile.Snapshot.ABSENT, "x\n".getBytes(StandardCharsets.UTF_8));

        assertThat(Files.readString(f)).isEqualTo("x\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
        assertThat(Files.exists(dir.resolve("etc/modprobe.d/pcipass.conf.pcipass.bak"))).isFalse();
    }

    @Test
    void theFilesModeIsKept() throws IOException {
        Path f = dir.resolve("modprobe.conf");
        Files.writeString(f, "old\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));

        AtomicFile.replace(f, AtomicFile.read(f), "new\n".getBytes(StandardCharsets.UTF_8));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r-----");
    }

    @Test
    void aLinkedFileStaysLinked() throws IOException {
        Path real = dir.resolve("real.conf");
        Files.writeString(real, "old\n");
        Path link = Files.createSymbolicLink(dir.resolve("modprobe.conf"), real.getFileName());

        AtomicFile.replace(link, AtomicFile.read(link), "new\n".getBytes(StandardCharsets.UTF_8));

        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new\n");
        assertThat(Files.readString(dir.resolve("real.conf.pcipass.bak"))).isEqualTo("old\n");
    }

    @Test
    void aDirectoryInThePlaceOfTheFileFailsWithExit1AndChangesNothing() throws IOException {
        Path f = dir.resolve("etc/modprobe.d/pcipass.conf");
        Files.createDirectories(f.resolve("inside"));
        List<String> before = tree();

        assertThatThrownBy(() -> AtomicFile.replace(f, AtomicFile.Snapshot.ABSENT, new byte[] {'x'}))
                .isInstanceOf(PcipassException.class)
                .hasMessage("cannot replace " + f + ": it is a directory, not a file; move it aside and run again")
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(1);
        assertThatThrownBy(() -> AtomicFile.read(f)).isInstanceOf(PcipassException.class);
        assertThat(tree()).isEqualTo(before);
    }

    @Test
    void aParentThatIsAFileFailsWithExit1() throws IOException {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/modprobe.d"), "");
        Path f = dir.resolve("etc/modprobe.d/pcipass.conf");

        assertThatThrownBy(() -> AtomicFile.replace(f, AtomicFile.Snapshot.ABSENT, new byte[] {'x'}))
                .isInstanceOf(PcipassException.class)
                .hasMessageStartingWith("cannot read " + f + ": Not a directory")
                .extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(1);
    }

    @Test
    void aChangedFileIsRefusedAndKept() throws IOException {
        Path f = dir.resolve("modprobe.conf");
        Files.writeString(f, "old\n");
        AtomicFile.Snapshot planned = AtomicFile.read(f);
        Files.writeString(f, "edited\n");

        assertThatThrownBy(() -> AtomicFile.replace(f, planned, new byte[] {'x'}))
                .isInstanceOf(FileChangedException.class)
                .hasMessage(f + " changed since the plan was made (planned from sha256 " + planned.sha256().substring(0, 12)
                        + ", now sha256 " + AtomicFile.read(f).sha256().substring(0, 12)
                        + "); nothing was written: run the command again");
        assertThat(Files.readString(f)).isEqualTo("edited\n");
        assertThat(tree()).containsExactly("", "modprobe.conf");
    }

    @Test
    void aFileRemovedSinceThePlanIsRefused() throws IOException {
        Path f = dir.resolve("modprobe.conf");
        Files.writeString(f, "old\n");
        AtomicFile.Snapshot planned = AtomicFile.read(f);
        Files.delete(f);

        assertThatThrownBy(() -> AtomicFile.replace(f, planned, new byte[] {'x'}))
                .isInstanceOf(FileChangedException.class)
                .hasMessageContaining(", now no file); nothing was written");
    }

    @Test
    void removingAFileKeepsItsBackup() throws IOException {
        Path f = dir.resolve("pcipass.conf");
        Files.writeString(f, "block\n");

        AtomicFile.replace(f, AtomicFile.read(f), null);

        assertThat(tree()).containsExactly("", "pcipass.conf.pcipass.bak");
    }

    @Test
    void bytesThatAreNotUtf8SurviveTheTextRoundTrip() throws IOException {
        byte[] latin1 = {'#', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n', (byte) 0xff, '\n'};
        Path f = dir.resolve("modprobe.conf");
        Files.write(f, latin1);
        AtomicFile.Snapshot s = AtomicFile.read(f);

        assertThat(s.charset()).isEqualTo(StandardCharsets.ISO_8859_1);
        assertThat(s.encode(s.text())).isEqualTo(latin1);
        AtomicFile.Snapshot utf8 = AtomicFile.Snapshot.ofText("# café ☃\n");
        assertThat(utf8.charset()).isEqualTo(StandardCharsets.UTF_8);
        assertThat(utf8.encode(utf8.text())).isEqualTo(utf8.bytes());
    }

    @Test
    void aGivenModeIsTheNewFilesAlsoWhenOnlyTheModeDiffersAndTheBackupKeepsTheOldOne() throws IOException {
        Path f = dir.resolve("acpiphp.modules");
        byte[] script = "#!/bin/sh\nmodprobe acpiphp\n".getBytes(StandardCharsets.UTF_8);
        var exec = PosixFilePermissions.fromString("rwxr-xr-x");

        AtomicFile.replace(f, (String) null, script, exec);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rwxr-xr-x");

        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFile.replace(f, AtomicFile.read(f), script);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as("no mode: kept")
                .isEqualTo("rw-r-----");
        AtomicFile.replace(f, AtomicFile.read(f).sha256(), script, exec);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rwxr-xr-x");
        assertThat(tree()).as("same bytes: only the mode changed").containsExactly("", "acpiphp.modules");

        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        AtomicFile.replace(f, AtomicFile.read(f).sha256(), "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), exec);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rwxr-xr-x");
        Path bak = dir.resolve("acpiphp.modules.pcipass.bak");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bak))).isEqualTo("rw-------");
        assertThat(Files.readAllBytes(bak)).isEqualTo(script);
    }
}
