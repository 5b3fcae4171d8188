package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pcipass.cli.ShowGroupsCheckTest.checks;
import static org.pcipass.cli.ShowGroupsCheckTest.on;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.pcipass.host.Readiness;
import org.pcipass.testing.FakeHost;
import org.pcipass.testing.Fs;
import org.pcipass.testing.HostTrees;

/**
 * The guide's limit "HVM passthrough needs RHEL 5.4 or newer" as a {@code check} line for a RHEL 5
 * root under {@code --config-root}; other roots get no such line.
 */
class CheckRhel5RootTest {
    private static final String FIX = "update this system to RHEL 5.4 or newer (yum update, then boot its new kernel"
            + " and Xen); until then give devices to para-virtualized guests only";

    @TempDir
    Path tmp;

    private Map<String, JsonNode> checkWith(String redhatRelease) {
        FakeHost h = HostTrees.rhel5Root(tmp);
        Fs.write(h.configRoot().resolve("etc/redhat-release"), redhatRelease + "\n");
        Cli.Result r = on(h, "check", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        return checks(r);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Red Hat Enterprise Linux Server release 5.3 (Tikanga)|3",
        "Red Hat Enterprise Linux Server release 5 (Tikanga)|0",
        "Red Hat Enterprise Linux Client release 5.1 (Tikanga)|1",
        "CentOS release 5.2 (Final)|2",
        "Scientific Linux SL release 5.3 (Boron)|3",
        "Enterprise Linux Enterprise Linux Server release 5.3 (Carthage)|3",
    })
    void aRhel5RootOlderThan54WarnsThatHvmPassthroughNeedsIt(String release, int minor) {
        Map<String, JsonNode> c = checkWith(release);
        JsonNode hvm = c.get("hvm passthrough");
        assertThat(hvm.get("status").asText()).isEqualTo("WARN");
        assertThat(hvm.get("detail").asText()).isEqualTo("HVM passthrough needs RHEL 5.4 or newer (this root is 5."
                + minor + "); PV guests are not affected");
        assertThat(hvm.get("fix").asText()).isEqualTo(FIX);
        assertThat(c.get("os-release").get("status").asText()).isEqualTo("INFO");
        assertThat(c.get("os-release").get("detail").asText()).isEqualTo(release);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Red Hat Enterprise Linux Server release 5.4 (Tikanga)|4",
        "Red Hat Enterprise Linux Server release 5.11 (Tikanga)|11",
        "CentOS release 5.10 (Final)|10",
    })
    void aRhel54OrNewerRootPasses(String release, int minor) {
        JsonNode hvm = checkWith(release).get("hvm passthrough");
        assertThat(hvm.get("status").asText()).isEqualTo("PASS");
        assertThat(hvm.get("detail").asText()).isEqualTo("HVM passthrough needs RHEL 5.4 or newer: this root is 5." + minor);
        assertThat(hvm.get("fix").isNull()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
        "Red Hat Enterprise Linux release 8.9 (Ootpa)",
        "CentOS Linux release 7.9.2009 (Core)",
        "Fedora Core release 5 (Bordeaux)",
        "Red Hat Enterprise Linux Server release 50 (hypothetical)",
    })
    void otherRedHatReleasesGetNoLineAndNoWarning(String release) {
        Map<String, JsonNode> c = checkWith(release);
        assertThat(c).doesNotContainKey("hvm passthrough");
        assertThat(c.get("os-release").get("status").asText()).isEqualTo("INFO");
        assertThat(c.get("os-release").get("detail").asText()).isEqualTo(release);
    }

    @Test
    void aDebianRootGetsNoLine() {
        Cli.Result r = on(HostTrees.kvmWorkstation(tmp), "check", "--json");
        assertThat(checks(r)).doesNotContainKey("hvm passthrough").containsKey("os-release");
    }

    @Test
    void theTextFormShowsTheWarningAndItsFix() {
        Cli.Result r = on(HostTrees.rhel5Root(tmp), "check");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("INFO  os-release      Red Hat Enterprise Linux Server release 5.3 (Tikanga)\n")
                .contains("WARN  hvm passthrough HVM passthrough needs RHEL 5.4 or newer (this root is 5.3);"
                        + " PV guests are not affected\n"
                        + "                      fix: " + FIX + "\n");
    }

    @Test
    void rhel5MinorReadsTheReleaseLine() {
        assertThat(Readiness.rhel5Minor("Red Hat Enterprise Linux Server release 5.3 (Tikanga)\n")).isEqualTo(3);
        assertThat(Readiness.rhel5Minor("Red Hat Enterprise Linux Server release 5 (Tikanga)")).isZero();
        assertThat(Readiness.rhel5Minor("Red Hat Enterprise Linux Server release 5.99999999999 (x)")).isNull();
        assertThat(Readiness.rhel5Minor("Red Hat Enterprise Linux Server release 6.1 (Santiago)")).isNull();
        assertThat(Readiness.rhel5Minor("")).isNull();
        assertThat(Readiness.rhel5Minor(null)).isNull();
    }
}
