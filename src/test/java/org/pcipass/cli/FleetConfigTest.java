package org.pcipass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.fleet.ConfigValue;

/** Where the fleet's database, device_spec and alias values come from, in order, and what is wrong with them. */
class FleetConfigTest {
    @TempDir
    Path tmp;

    private Path conf(String text) throws Exception {
        Files.writeString(tmp.resolve("pcipass.conf"), text);
        return tmp.resolve("pcipass.conf");
    }

    @Test
    void theDatabaseComesFromTheOptionThenTheEnvironmentThenPcipassConf() throws Exception {
        conf("hotplug-limit = 4\n# a comment\ndb = postgresql://conf@db3/fleet\n");
        Map<String, String> env = Map.of("PCIPASS_DB", "postgresql://env@db2/fleet");
        assertThat(FleetConfig.of("postgres://opt@db1/fleet", null, null, env, tmp).db().target())
                .isEqualTo("db1:5432/fleet");
        assertThat(FleetConfig.of(null, null, null, env, tmp).db().target()).isEqualTo("db2:5432/fleet");
        assertThat(FleetConfig.of(null, null, null, Map.of("PCIPASS_DB", ""), tmp).db().target())
                .isEqualTo("db3:5432/fleet");
    }

    @Test
    void noDatabaseAnywhereIsBadInputNamingAllThreePlaces() {
        assertThatThrownBy(() -> FleetConfig.of(null, null, null, Map.of(), tmp).db())
                .isInstanceOf(PcipassException.BadInput.class).hasMessage("no fleet database: give --db URL, set"
                        + " PCIPASS_DB=URL, or write db = URL in " + tmp.resolve("pcipass.conf")
                        + " (URL: postgresql://USER@HOST:PORT/DB)");
    }

    @Test
    void aBadUrlInPcipassConfNamesItsLineAndHidesItsPassword() throws Exception {
        Path f = conf("\n\ndb = mysql://ops:hunter2@db/fleet\n");
        assertThatThrownBy(() -> FleetConfig.of(null, null, null, Map.of(), tmp).db())
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith(f + " line 3 'mysql://ops:***@db/fleet' is not a PostgreSQL URL; write");
        conf("db = postgresql://a@db/x\ndb = postgresql://b@db/x\n");
        assertThatThrownBy(() -> FleetConfig.of(null, null, null, Map.of(), tmp).db())
                .hasMessage(f + " has db = on lines 1 and 2; keep one");
    }

    @Test
    void specsAndAliasesComeFromTheirFilesElseFromTheLinesOfPcipassConf() throws Exception {
        Path f = conf("device_spec = {\"vendor_id\": \"10de\"}\nalias = {\"name\": \"gpu\"}\n"
                + "device_spec = [{\"vendor_id\": \"8086\"}]\nunknown-key = kept for later releases\n");
        FleetConfig lines = FleetConfig.of(null, null, null, Map.of(), tmp);
        assertThat(lines.specs()).containsExactly(new ConfigValue("{\"vendor_id\": \"10de\"}", f + " line 1"),
                new ConfigValue("[{\"vendor_id\": \"8086\"}]", f + " line 3"));
        assertThat(lines.aliases()).containsExactly(new ConfigValue("{\"name\": \"gpu\"}", f + " line 2"));

        Path spec = Files.writeString(tmp.resolve("spec.json"), "[{\"vendor_id\": \"10de\"},\n {\"address\": \"*:0a:00.*\"}]");
        Path aliases = Files.writeString(tmp.resolve("aliases.json"), "{\"name\": \"gpu\", \"product_id\": \"1b80\"}\n");
        FleetConfig files = FleetConfig.of(null, spec.toString(), aliases.toString(), Map.of(), tmp);
        assertThat(files.specs()).containsExactly(new ConfigValue("{\"vendor_id\":\"10de\"}", spec + " entry 1"),
                new ConfigValue("{\"address\":\"*:0a:00.*\"}", spec + " entry 2"));
        assertThat(files.aliases()).containsExactly(new ConfigValue("{\"name\": \"gpu\", \"product_id\": \"1b80\"}",
                aliases.toString()));
        assertThat(FleetConfig.of(null, null, null, Map.of(), tmp.resolve("none")).specs()).isEmpty();
    }

    @Test
    void aSpecFileThatIsMissingOrNotJsonIsBadInputNamingIt() throws Exception {
        Path missing = tmp.resolve("missing.json");
        assertThatThrownBy(() -> FleetConfig.of(null, missing.toString(), null, Map.of(), tmp).specs())
                .isInstanceOf(PcipassException.BadInput.class)
                .hasMessageStartingWith("--spec " + missing + " cannot be read (");
        Path garbled = Files.writeString(tmp.resolve("garbled.json"), "{\"vendor_id\": ");
        assertThatThrownBy(() -> FleetConfig.of(null, null, garbled.toString(), Map.of(), tmp).aliases())
                .isInstanceOf(PcipassException.BadInput.class).hasMessageStartingWith("--aliases " + garbled
                        + " is not JSON (").hasMessageEndingWith("); write a JSON object or an array of objects");
        Path number = Files.writeString(tmp.resolve("number.json"), "42");
        assertThatThrownBy(() -> FleetConfig.of(null, number.toString(), null, Map.of(), tmp).specs())
                .hasMessage("--spec " + number + " holds a single value; write a JSON object or an array of objects");
        Path f = conf("alias =\n");
        assertThatThrownBy(() -> FleetConfig.of(null, null, null, Map.of(), tmp).aliases())
                .hasMessage(f + " line 1: alias = has no value; write a value or remove the line");
    }

    @Test
    void theHotplugLimitStillReadsPcipassConfWithTheFleetsLinesInIt() throws Exception {
        conf("db = postgresql://a@db/x\ndevice_spec = {\"vendor_id\": \"10de\"}\nhotplug-limit = 7\n");
        assertThat(GuestCli.hotplugLimit(tmp).count()).isEqualTo(7);
    }
}
