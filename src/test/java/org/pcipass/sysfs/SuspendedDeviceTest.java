package org.pcipass.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.cli.Cli;
import org.pcipass.pci.PciAddress;
import org.pcipass.pci.PciDevice;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.PciDev;

/**
 * Reading a device must not wake it: a real kernel resumes a runtime-suspended device (a GPU in
 * D3cold, and the bridges above it) for every read of its {@code config}. Here each such device's
 * {@code config} is a FIFO with a writer thread that counts the opens: opening a FIFO to read
 * blocks until a writer comes, so an open is seen for certain, and the writer lets the reader go
 * (it reads EOF) instead of hanging the test.
 */
class SuspendedDeviceTest {
    private static final String PORT = "0000:00:1c.0";
    private static final String GPU = "0000:01:00.0";
    private static final String GPU_AUDIO = "0000:01:00.1";
    private static final String CARDBUS = "0000:00:1e.0";
    private static final String NIC = "0000:00:19.0";
    private static final String PF = "0000:02:00.0";
    private static final String VF = "0000:02:10.0";
    private static final String NVME = "0000:00:1d.0";

    @TempDir
    Path tmp;

    private final List<Fifo> fifos = new ArrayList<>();

    /**
     * A KVM host with a runtime-suspended GPU (class 0300) and its HDMI audio (suspending) below a
     * suspended root port (class 0604), a suspended CardBus bridge (class 0607), an active NIC and
     * an SR-IOV VF (both with FIFO configs too: the control that an open is seen) and an NVMe
     * drive whose status is active with a plain config.
     */
    private FakeHost host() {
        FakeHost h = FakeHost.create(tmp).kvm().withIommu();
        h.rootfs().debian12();
        PciDev port = h.pci(PORT).ids(0x8086, 0xa338).pciClass(0x060400).headerType(1).buses(1, 1)
                .builtinDriver("pcieport", "pcieport").iommuGroup(1).runtimeStatus("suspended").build();
        h.pci(GPU).parent(port).ids(0x10de, 0x1b80).pciClass(0x030000).multiFunction(true)
                .driver("nouveau", "nouveau").iommuGroup(2).runtimeStatus("suspended").build();
        h.pci(GPU_AUDIO).parent(port).ids(0x10de, 0x10f0).pciClass(0x040300).multiFunction(true)
                .driver("snd_hda_intel", "snd_hda_intel").iommuGroup(2).runtimeStatus("suspending").build();
        h.pci(CARDBUS).ids(0x1180, 0x0476).pciClass(0x060700).headerType(2).pcie(false).iommuGroup(3)
                .runtimeStatus("suspended").build();
        h.pci(NIC).ids(0x8086, 0x10bd).pciClass(0x020000).driver("e1000e", "e1000e").iommuGroup(4)
                .runtimeStatus("active").build();
        PciDev pf = h.pci(PF).ids(0x8086, 0x1521).pciClass(0x020000).driver("igb", "igb").sriov(7).iommuGroup(5)
                .build();
        h.pci(VF).physfn(pf).ids(0x8086, 0x1520).pciClass(0x020000).iommuGroup(6).build();
        h.pci(NVME).ids(0x144d, 0xa808).pciClass(0x010802).driver("nvme", "nvme").iommuGroup(7)
                .runtimeStatus("active").build();
        for (String a : List.of(PORT, GPU, GPU_AUDIO, CARDBUS, NIC, VF)) {
            fifos.add(new Fifo(h.device(a).dir().resolve("config")));
        }
        return h;
    }

    @AfterEach
    void releaseWriters() {
        fifos.forEach(Fifo::release);
    }

    private Fifo fifo(FakeHost h, String address) {
        Path config = h.device(address).dir().resolve("config");
        return fifos.stream().filter(f -> f.path.equals(config)).findFirst().orElseThrow();
    }

    @Test
    void aSuspendedDevicesConfigIsNeverOpenedAndItsHeaderTypeComesFromItsClass() throws Exception {
        FakeHost h = host();
        Map<PciAddress, PciDevice> all = new DeviceScanner(new Sysfs(h.sysfs())).scanDevices(true);

        assertThat(all.get(PciAddress.parse(PORT)).headerType()).as("0604: PCI-to-PCI bridge").isEqualTo(1);
        assertThat(all.get(PciAddress.parse(CARDBUS)).headerType()).as("0607: CardBus bridge").isEqualTo(2);
        assertThat(all.get(PciAddress.parse(GPU)).headerType()).as("0300 says nothing of the header").isNull();
        assertThat(all.get(PciAddress.parse(GPU_AUDIO)).headerType()).isNull();
        assertThat(all.get(PciAddress.parse(NVME)).headerType()).as("active: read from config").isZero();
        assertThat(all.get(PciAddress.parse(VF)).headerType()).as("a VF's header is type 0").isZero();
        assertThat(all.get(PciAddress.parse(NIC)).headerType()).as("active, config a FIFO: read, EOF").isNull();

        assertThat(fifo(h, NIC).awaitOpened()).as("the control: an open of an active device's config is seen").isTrue();
        for (String asleep : List.of(PORT, GPU, GPU_AUDIO, CARDBUS, VF)) {
            assertThat(fifo(h, asleep).opens()).as(asleep + "'s config opened").isZero();
        }
    }

    @Test
    void showJsonGivesTheClassesHeaderTypeForSuspendedDevicesWithoutWakingThem() throws Exception {
        FakeHost h = host();
        assertThat(show(h, PORT).get("headerType").asText()).isEqualTo("bridge");
        assertThat(show(h, CARDBUS).get("headerType").asText()).isEqualTo("cardbus");
        JsonNode gpu = show(h, GPU);
        assertThat(gpu.get("headerType").isNull()).isTrue();
        assertThat(gpu.get("vendorId").asText()).isEqualTo("10de");
        assertThat(show(h, NVME).get("headerType").asText()).isEqualTo("endpoint");

        Cli.Result list = new Cli().run("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                "list", "--json");
        assertThat(list.exitCode()).as(list.err()).isZero();
        for (JsonNode d : list.json()) {
            if (d.get("address").asText().equals(PORT) || d.get("address").asText().equals(CARDBUS)) {
                assertThat(d.get("verdict").asText()).isEqualTo("not-endpoint");
            }
            if (d.get("address").asText().equals(GPU)) {
                assertThat(d.get("verdict").asText()).isNotEqualTo("not-endpoint");
            }
        }
        for (String asleep : List.of(PORT, GPU, GPU_AUDIO, CARDBUS)) {
            assertThat(fifo(h, asleep).opens()).as(asleep + "'s config opened").isZero();
        }
    }

    private static JsonNode show(FakeHost h, String address) {
        Cli.Result r = new Cli().run("--sysfs", h.sysfs().toString(), "--config-root", h.configRoot().toString(),
                "show", address, "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r.json();
    }

    /** A FIFO in place of a file, with a writer thread that counts how often it was opened to read. */
    private static final class Fifo {
        final Path path;
        private final AtomicInteger opens = new AtomicInteger();
        private volatile boolean released;

        Fifo(Path path) {
            this.path = path;
            try {
                Files.delete(path);
                Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
                assertThat(p.waitFor()).as("mkfifo " + path).isZero();
            } catch (IOException e) {
                throw new AssertionError("cannot make a FIFO at " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            Thread writer = new Thread(this::serve, "fifo writer " + path.getFileName());
            writer.setDaemon(true);
            writer.start();
        }

        /** Each open returns when a reader opens the FIFO; closing at once gives that reader EOF. */
        private void serve() {
            while (!released) {
                try (FileOutputStream out = new FileOutputStream(path.toFile())) {
                    if (!released) {
                        opens.incrementAndGet();
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }

        /**
         * The opens so far, after a pause: the writer counts an open just after the reader's open
         * returned, and the reader has long finished by the time a scan returns.
         */
        int opens() throws InterruptedException {
            Thread.sleep(100);
            return opens.get();
        }

        /** Whether an open is seen within 5 s. */
        boolean awaitOpened() throws InterruptedException {
            for (int i = 0; i < 500 && opens.get() == 0; i++) {
                Thread.sleep(10);
            }
            return opens.get() > 0;
        }

        /** Lets the writer thread end: opening a FIFO read-write never blocks and frees a blocked writer. */
        void release() {
            released = true;
            try (RandomAccessFile r = new RandomAccessFile(path.toFile(), "rw")) {
                // nothing to do: the open itself frees the writer
            } catch (IOException e) {
                // gone already: the writer is not blocked on it
            }
        }
    }
}
