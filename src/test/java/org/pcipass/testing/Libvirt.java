package org.pcipass.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * libvirt's own tools as oracles for the XML pcipass prints: {@code virt-xml-validate} (libvirt's
 * RelaxNG schemas; Debian's libvirt-clients and libxml2-utils) and {@code virsh} on the test driver,
 * which parses a node device's XML and formats it back with libvirt's own code. Without them the
 * tests skip, except with CI=true, where a missing tool fails.
 */
public final class Libvirt {
    public static final Path VIRT_XML_VALIDATE = Path.of("/usr/bin/virt-xml-validate");
    public static final Path VIRSH = Path.of("/usr/bin/virsh");

    private Libvirt() {}

    /** A tool's exit code and its stdout and stderr together. */
    public record Run(int exitCode, String output) {}

    /** Skips the calling test when {@code tool} is missing, and fails it under CI=true. */
    public static void require(Path tool) {
        boolean present = Files.isExecutable(tool);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail(tool + " missing, and CI=true (the test script installs libvirt-clients and libxml2-utils)");
        }
        Assumptions.assumeTrue(present, tool + " not installed");
    }

    /** {@code virt-xml-validate FILE TYPE} on {@code xml} written to {@code dir}. */
    public static Run validate(Path dir, String name, String xml, String type) throws IOException {
        require(VIRT_XML_VALIDATE);
        Path file = Files.writeString(dir.resolve(name), xml);
        return run(List.of(VIRT_XML_VALIDATE.toString(), file.toString(), type));
    }

    /**
     * The node device as libvirt reads and prints it back: {@code deviceXml} goes into a test driver
     * node file ({@code test:///FILE}), and {@code virsh nodedev-dumpxml NAME} answers.
     */
    public static Run nodedevRoundTrip(Path dir, String deviceXml, String name) throws IOException {
        require(VIRSH);
        Path node = Files.writeString(dir.resolve("node-" + name + ".xml"), "<node>\n"
                + "<cpu><nodes>1</nodes><sockets>1</sockets><cores>1</cores><threads>1</threads><mhz>1000</mhz>"
                + "<model>x86_64</model></cpu>\n<memory>1048576</memory>\n" + deviceXml + "</node>\n");
        return run(List.of(VIRSH.toString(), "-q", "-c", "test://" + node.toAbsolutePath(), "nodedev-dumpxml", name));
    }

    private static Run run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(argv + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Run(p.exitValue(), out);
    }
}
