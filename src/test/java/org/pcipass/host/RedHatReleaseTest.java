package org.pcipass.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.sysfs.Sysfs;

class RedHatReleaseTest {
    @TempDir
    Path root;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Red Hat Enterprise Linux Server release 5.3 (Tikanga)|5|3",
            "Red Hat Enterprise Linux Server release 5 (Tikanga)|5|0",
            "Red Hat Enterprise Linux Client release 5.11 (Tikanga)|5|11",
            "Red Hat Enterprise Linux AS release 4 (Nahant Update 9)|4|0",
            "Red Hat Enterprise Linux release 8.9 (Ootpa)|8|9",
            "CentOS release 5.11 (Final)|5|11",
            "CentOS Linux release 7.9.2009 (Core)|7|9",
            "CentOS Stream release 9|9|0",
            "Scientific Linux SL release 5.5 (Boron)|5|5",
            "Enterprise Linux Enterprise Linux Server release 5.8 (Carthage)|5|8",
            "Oracle Linux Server release 8.9|8|9",
            "Rocky Linux release 9.3 (Blue Onyx)|9|3",
            "AlmaLinux release 9.3 (Shamrock Pampas Cat)|9|3",
            "  red hat enterprise linux server RELEASE 5.2 (Tikanga)  |5|2"})
    void rhelAndItsRebuildsParse(String line, int major, int minor) {
        RedHatRelease r = RedHatRelease.parse(line);

        assertThat(r).isNotNull();
        assertThat(r.major()).isEqualTo(major);
        assertThat(r.minor()).isEqualTo(minor);
        assertThat(r.text()).isEqualTo(line.strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Fedora release 5 (Bordeaux)", "Fedora release 39 (Thirty Nine)",
            "XenServer release 7.1.0-2 (xenenterprise)", "XCP-ng release 8.2.1 (xenenterprise)",
            "Red Hat Linux release 9 (Shrike)", "Red Hat Enterprise Linux Server", "CentOS release five",
            "Red Hat Enterprise Linux release 5000.1", "", "   "})
    void otherDistributionsAndGarbageAreNull(String line) {
        assertThat(RedHatRelease.parse(line)).isNull();
    }

    @Test
    void nullIsNull() {
        assertThat(RedHatRelease.parse(null)).isNull();
    }

    @Test
    void hvmPassthroughNeedsRhel54() {
        assertThat(RedHatRelease.parse("Red Hat Enterprise Linux Server release 5.3 (Tikanga)").lacksHvmPassthrough())
                .isTrue();
        assertThat(RedHatRelease.parse("Red Hat Enterprise Linux Server release 5 (Tikanga)").lacksHvmPassthrough())
                .as("release 5 is 5.0").isTrue();
        assertThat(RedHatRelease.parse("CentOS release 5.4 (Final)").lacksHvmPassthrough()).isFalse();
        assertThat(RedHatRelease.parse("CentOS release 5.11 (Final)").lacksHvmPassthrough())
                .as("5.11 is newer than 5.4, not 5.1.1").isFalse();
        assertThat(RedHatRelease.parse("Red Hat Enterprise Linux release 8.9 (Ootpa)").lacksHvmPassthrough()).isFalse();
    }

    @Test
    void beforeComparesMajorThenMinor() {
        RedHatRelease r = new RedHatRelease("x", 5, 3);

        assertThat(r.before(5, 4)).isTrue();
        assertThat(r.before(6, 0)).isTrue();
        assertThat(r.before(5, 3)).isFalse();
        assertThat(r.before(5, 2)).isFalse();
        assertThat(r.before(4, 9)).isFalse();
    }

    @Test
    void readsTheFirstLineOfTheRootsFile() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/redhat-release"), "CentOS release 5.2 (Final)\nsecond line release 9\n");

        RedHatRelease r = RedHatRelease.of(new Sysfs(root));

        assertThat(r).isEqualTo(new RedHatRelease("CentOS release 5.2 (Final)", 5, 2));
        assertThat(r).hasToString("CentOS release 5.2 (Final)");
    }

    @Test
    void aRootWithoutTheFileHasNone() {
        assertThat(RedHatRelease.of(new Sysfs(root))).isNull();
    }

    @Test
    void negativeNumbersAreRefused() {
        assertThatThrownBy(() -> new RedHatRelease("x", -1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("release: -1.0 is negative");
    }
}
