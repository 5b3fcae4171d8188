package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Test;

/**
 * A device directory's numbers are parsed from the read bytes without building strings; whatever a
 * file holds, the answer must be the one the path-based reads give (which parse the text).
 */
class SysfsNumberTest {
    private static Path root;

    @BeforeContainer
    static void makeRoot() throws IOException {
        root = Files.createTempDirectory("pcipass-sysfs-number");
        Files.createDirectories(root.resolve("dev"));
    }

    @AfterContainer
    static void removeRoot() throws IOException {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<String> attributeText() {
        Arbitrary<String> numberLike = Arbitraries.strings().withChars("0123456789abcdefABCDEFxX-+ \n\t\0").ofMaxLength(12);
        Arbitrary<String> kernelLike = Arbitraries.integers().between(-2, 0xffffff)
                .map(v -> v < 0 ? v + "\n" : (v % 2 == 0 ? String.format("0x%04x%n", v) : v + "\n"));
        Arbitrary<String> limits = Arbitraries.of("0xffffffff\n", "0x100000000\n", "0x7fffffff\n", "0x80000000\n",
                "999999999\n", "1000000000\n", "2147483647\n", "2147483648\n", "-2147483648\n", "-999999999\n",
                "00000000012\n", "0x00000000012\n", "0x\n", "-\n", "\n", "", "0x12\0\0", "12\n\n", " 12\n", "+12\n");
        return Arbitraries.oneOf(limits, numberLike, kernelLike, Arbitraries.strings().ofMaxLength(20));
    }

    @Property(tries = 3000)
    void bytesParseExactlyAsTheTextDoes(@ForAll("attributeText") String text) {
        Sysfs sys = new Sysfs(root);
        write("dev/attr", text);
        try (Sysfs.Dir dir = sys.dir("dev")) {
            assertThat(dir.readHex("attr")).as("hex of %s", text.replace("\n", "\\n")).isEqualTo(sys.readHex("dev/attr"));
            assertThat(dir.readInt("attr")).as("decimal of %s", text.replace("\n", "\\n")).isEqualTo(sys.readInt("dev/attr"));
        }
    }

    @Test
    void kernelFormatsParse(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("dev"));
        Files.writeString(tmp.resolve("dev/vendor"), "0x8086\n");
        Files.writeString(tmp.resolve("dev/class"), "0x0c0330\n");
        Files.writeString(tmp.resolve("dev/numa_node"), "-1\n");
        try (Sysfs.Dir dir = new Sysfs(tmp).dir("dev")) {
            assertThat(dir.readHex("vendor")).isEqualTo(0x8086);
            assertThat(dir.readHex("class")).isEqualTo(0x0c0330);
            assertThat(dir.readInt("numa_node")).isEqualTo(-1);
            assertThat(dir.readHex("absent")).isNull();
            assertThat(dir.readInt("absent")).isNull();
        }
    }

    @Test
    void oneByteOfABinaryFileIsReadAtItsOffset(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("dev/dir"));
        byte[] config = new byte[64];
        config[0x0e] = (byte) 0x81;
        Files.write(tmp.resolve("dev/config"), config);
        Files.write(tmp.resolve("dev/short"), new byte[14]);
        try (Sysfs.Dir dir = new Sysfs(tmp).dir("dev")) {
            assertThat(dir.readByteAt("config", 0x0e)).isEqualTo(0x81);
            assertThat(dir.readByteAt("config", 0)).isZero();
            assertThat(dir.readByteAt("short", 0x0e)).as("file ends before the offset").isEqualTo(-1);
            assertThat(dir.readByteAt("absent", 0x0e)).isEqualTo(-1);
            assertThat(dir.readByteAt("dir", 0x0e)).as("a directory where a file should be").isEqualTo(-1);
        }
    }

    private static void write(String rel, String text) {
        try {
            Files.writeString(root.resolve(rel), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
