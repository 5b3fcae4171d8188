package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;

class LockTimeoutTest {
    private static Duration timeout(String value) {
        PrintStream nul = new PrintStream(OutputStream.nullOutputStream());
        Map<String, String> env = value == null ? Map.of() : Map.of("PCIPASS_LOCK_TIMEOUT", value);
        return Mutation.lockTimeout(new Context(nul, nul, env, CommandRunner.SYSTEM));
    }

    @Test
    void secondsWithAFractionUnsetOrEmptyMeans30AndHugeMeansAYear() {
        assertThat(timeout(null)).isEqualTo(Duration.ofSeconds(30));
        assertThat(timeout("")).isEqualTo(Duration.ofSeconds(30));
        assertThat(timeout("1.5")).isEqualTo(Duration.ofMillis(1500));
        assertThat(timeout("0")).isEqualTo(Duration.ZERO);
        assertThat(timeout("1e300")).isEqualTo(Duration.ofDays(365));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "NaN", "Infinity", "30s", " "})
    void anythingElseIsBadInputNamingTheVariable(String value) {
        assertThatThrownBy(() -> timeout(value)).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage("PCIPASS_LOCK_TIMEOUT '" + value + "' is not a number of seconds; give one such as 30 (0 = do"
                        + " not wait)");
    }
}
