package org.pcipass.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PciIdsTest {
    private static final String SAMPLE = """
            # comment
            14e4  Broadcom Inc. and subsidiaries
            \t1639  NetXtreme II BCM5709 Gigabit Ethernet
            \t\t1028 0235  PowerEdge R710 BCM5709 Gigabit Ethernet
            8086  Intel Corporation
            \t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection

            C 02  Network controller
            \t00  Ethernet controller
            \t80  Network controller
            C 0c  Serial bus controller
            \t03  USB controller
            \t\t30  XHCI
            C ff  Unassigned class
            """;

    @TempDir
    Path tmp;

    @Test
    void aGarbledDefaultIsSkippedWithAWarningAndTheNextOneUsed() throws Exception {
        Path garbled = Files.write(tmp.resolve("misc.ids"), Arrays.copyOf(SAMPLE.getBytes(StandardCharsets.UTF_8), 40));
        Path good = Files.writeString(tmp.resolve("hwdata.ids"), SAMPLE);
        List<String> warnings = new ArrayList<>();
        PciIds ids = PciIdsLoader.load(null, List.of(garbled, good), warnings::add);
        assertThat(ids.source()).isEqualTo(good.toString());
        assertThat(ids.vendorName(0x14e4)).isEqualTo("Broadcom Inc. and subsidiaries");
        assertThat(warnings).singleElement().asString().startsWith("pci.ids " + garbled + " ").endsWith("; skipped it");
    }

    @Test
    void withoutAUsableDefaultTheBundledCopyIsUsed() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.ids"), new byte[] {0x7f, 'E', 'L', 'F', (byte) 0xff, '\n'});
        List<String> warnings = new ArrayList<>();
        PciIds ids = PciIdsLoader.load(null, List.of(tmp.resolve("absent.ids"), junk), warnings::add);
        assertThat(ids.source()).isEqualTo("bundled copy of pci.ids");
        assertThat(ids.vendorName(0x8086)).isEqualTo("Intel Corporation");
        assertThat(warnings).as("an absent default is no warning; a garbled one is").hasSize(1);
        assertThat(warnings.get(0)).contains(junk.toString()).endsWith("; skipped it");
    }

    /** What parsing {@code text} as the file "x" throws. */
    private static AbstractThrowableAssert<?, ? extends Throwable> parsing(String text) {
        return assertThatThrownBy(() -> PciIds.parse("x", text.getBytes(StandardCharsets.UTF_8)));
    }

    private static PciIds sample() {
        return PciIds.parse("sample", SAMPLE.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void namesComeExactlyFromTheFile() {
        PciIds ids = sample();
        assertThat(ids.vendorName(0x14e4)).isEqualTo("Broadcom Inc. and subsidiaries");
        assertThat(ids.deviceName(0x14e4, 0x1639)).isEqualTo("NetXtreme II BCM5709 Gigabit Ethernet");
        assertThat(ids.deviceName(0x8086, 0x1639)).isNull();
        assertThat(ids.vendorName(0x1234)).isNull();
    }

    @Test
    void classNameIsTheSubclassElseTheBaseClassLikeLspci() {
        PciIds ids = sample();
        assertThat(ids.className(0x020000)).isEqualTo("Ethernet controller");
        assertThat(ids.className(0x0c0330)).isEqualTo("USB controller");
        assertThat(ids.progIfName(0x0c0330)).isEqualTo("XHCI");
        assertThat(ids.className(0xffff00)).isEqualTo("Unassigned class");
        assertThat(ids.className(0x0c0900)).isEqualTo("Serial bus controller");
        assertThat(ids.className(0x120000)).isNull();
    }

    @Test
    void theSystemFileParsesWhole() throws Exception {
        Path system = Path.of("/usr/share/misc/pci.ids");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(system) || System.getenv("CI") != null,
                "no system pci.ids");
        PciIds ids = PciIds.load(system);
        assertThat(ids.vendorName(0x8086)).isEqualTo("Intel Corporation");
        assertThat(ids.className(0x010802)).isEqualTo("Non-Volatile memory controller");
    }

    @Test
    void theBundledCopyLoads() throws Exception {
        PciIds ids = PciIds.bundled();
        assertThat(ids).isNotNull();
        assertThat(ids.vendorName(0x1af4)).isEqualTo("Red Hat, Inc.");
    }

    @Test
    void aFileCutMidRecordIsGarbled() {
        byte[] whole = SAMPLE.getBytes(StandardCharsets.UTF_8);
        int cut = SAMPLE.indexOf("NetXtreme") + 4;
        assertThatThrownBy(() -> PciIds.parse("cut.ids", Arrays.copyOf(whole, cut)))
                .isInstanceOf(PciIds.Garbled.class)
                .hasMessage("pci.ids cut.ids ends mid-record (no newline after the last line)");
    }

    @Test
    void aFileCutInsideAnIdIsGarbledAtThatLine() {
        String cut = "14e4  Broadcom\n\t16\n";
        assertThatThrownBy(() -> PciIds.parse("cut.ids", cut.getBytes(StandardCharsets.UTF_8)))
                .hasMessage("pci.ids cut.ids line 2: line too short");
    }

    @Test
    void binaryJunkIsGarbled() {
        byte[] junk = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, (byte) 0xff, (byte) 0xfe, 0, 0, '\n'};
        assertThatThrownBy(() -> PciIds.parse("junk.ids", junk))
                .isInstanceOf(PciIds.Garbled.class)
                .hasMessage("pci.ids junk.ids is not UTF-8 text (binary junk?)");
        byte[] ascii = "\u0001\u0002\u0003garbage\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PciIds.parse("junk.ids", ascii))
                .hasMessage("pci.ids junk.ids line 1: expected 4 lower-case hex digits at column 1");
    }

    @Test
    void structureErrorsNameTheLine() {
        parsing("\t1639  Orphan device\n")
                .hasMessage("pci.ids x line 1: a device line before any vendor line");
        parsing("14e4 Broadcom\n")
                .hasMessage("pci.ids x line 1: expected two spaces and a name after the id");
        parsing("")
                .hasMessage("pci.ids x is empty");
        parsing("# only comments\n")
                .hasMessage("pci.ids x holds no vendor records");
    }

    @Test
    void aNameBeyondAsciiIsDecodedExactlyAndATabInsideANameIsText() {
        String text = "1af4  Red Hat, Inc.\n\t1000  Virtio \u00e9thernet\tcard\n10de  NVIDIA \u2014 Corp\n";
        PciIds ids = PciIds.parse("x", text.getBytes(StandardCharsets.UTF_8));
        assertThat(ids.deviceName(0x1af4, 0x1000)).isEqualTo("Virtio \u00e9thernet\tcard");
        assertThat(ids.vendorName(0x10de)).isEqualTo("NVIDIA \u2014 Corp");
        assertThat(ids.vendorName(0x1af4)).isEqualTo("Red Hat, Inc.");
    }

    @Test
    void aControlCharacterOrACarriageReturnInANameIsGarbledAtThatLine() {
        parsing("1af4  Red Hat\n\t1000  Vir\u0000tio\n")
                .hasMessage("pci.ids x line 2: control character in a name (binary junk?)");
        parsing("1af4  Red Hat\r\n")
                .hasMessage("pci.ids x line 1: control character in a name (binary junk?)");
        byte[] badUtf8 = {'1', 'a', 'f', '4', ' ', ' ', 'R', (byte) 0xc3, '\n'};
        assertThatThrownBy(() -> PciIds.parse("x", badUtf8))
                .hasMessage("pci.ids x is not UTF-8 text (binary junk?)");
    }

    @Test
    void everyNameOfTheSystemFileIsWhatItsLineSays() throws Exception {
        Path system = Path.of("/usr/share/misc/pci.ids");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(system) || System.getenv("CI") != null,
                "no system pci.ids");
        PciIds ids = PciIds.load(system);
        // a reference reading, line by line, of every vendor and device line
        int vendor = -1;
        int checked = 0;
        for (String line : Files.readAllLines(system, StandardCharsets.UTF_8)) {
            if (line.startsWith("C ")) {
                break;
            }
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("\t\t")) {
                continue;
            }
            if (line.startsWith("\t")) {
                assertThat(ids.deviceName(vendor, Integer.parseInt(line.substring(1, 5), 16)))
                        .as(line).isEqualTo(line.substring(7));
            } else {
                vendor = Integer.parseInt(line.substring(0, 4), 16);
                assertThat(ids.vendorName(vendor)).as(line).isEqualTo(line.substring(6));
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(15_000);
    }
}
