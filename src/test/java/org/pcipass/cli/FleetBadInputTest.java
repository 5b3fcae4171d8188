package org.pcipass.cli;

import static org.pcipass.cli.BadInputTest.assertOneLineError;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's bad input, all refused before any database is contacted (the URL below names a port where
 * nothing listens: reaching it would be exit 1, not 2): one line naming the input and the fix, exit 2.
 */
class FleetBadInputTest {
    private static final String DB = "postgresql://nobody@127.0.0.1:1/none";

    @TempDir
    Path tmp;

    private Cli.Result run(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--state-dir";
        all[args.length + 1] = tmp.resolve("state").toString();
        return new Cli().env("PCIPASS_DB", DB).run(all);
    }

    @Test
    void replayFilesThatAreMissingMalformedOrOfAnotherFormat() throws Exception {
        assertOneLineError(run("fleet", "replay"), "needs --fleet FILE and --requests FILE");
        assertOneLineError(run("fleet", "replay", "--fleet", tmp.resolve("none.json").toString(), "--requests",
                tmp.resolve("none.json").toString()), "none.json: no such file");
        Path garbled = tmp.resolve("garbled.json");
        Files.writeString(garbled, "{\"format\": ");
        assertOneLineError(run("fleet", "replay", "--fleet", garbled.toString(), "--requests", garbled.toString()),
                "garbled.json: is not valid JSON");
        Path other = tmp.resolve("other.json");
        Files.writeString(other, "{\"format\": \"nova-pci-bench/requests/v1\", \"requests\": []}");
        assertOneLineError(run("fleet", "replay", "--fleet", other.toString(), "--requests", other.toString()),
                "its format is 'nova-pci-bench/requests/v1', not \"nova-pci-bench/fleet/v1\"");
        Path fleet = tmp.resolve("fleet.json");
        Files.writeString(fleet, "{\"format\": \"nova-pci-bench/fleet/v1\", \"device_spec\": [], \"hosts\": [{\"name\":"
                + " \"h\", \"devices\": [{\"address\": \"0000:3b:00\", \"vendor_id\": \"10de\"}]}]}");
        assertOneLineError(run("fleet", "replay", "--fleet", fleet.toString(), "--requests", other.toString()),
                "hosts[0].devices[0].address '0000:3b:00' is not a PCI address");
        assertOneLineError(run("fleet", "replay", "extra"), "takes no arguments");
    }

    @Test
    void claimsWithBadGuestsAliasesCellsOrConfiguration() throws Exception {
        Path aliases = tmp.resolve("aliases.json");
        Files.writeString(aliases, "{\"name\": \"gpu\", \"vendor_id\": \"10de\"}");
        String a = aliases.toString();
        assertOneLineError(run("fleet", "claim", "bad<name>", "--alias", "gpu:1", "--aliases", a), "guest name");
        assertOneLineError(run("fleet", "claim", "vm1", "--aliases", a), "needs --alias");
        assertOneLineError(run("fleet", "claim", "vm1", "--alias", "gpu:0", "--aliases", a), "at least 1");
        assertOneLineError(run("fleet", "claim", "vm1", "--alias", "tpu:1", "--aliases", a), "no alias is named 'tpu'");
        assertOneLineError(run("fleet", "claim", "vm1", "--alias", "gpu:1", "--numa-cells", "0,x", "--aliases", a),
                "--numa-cells '0,x'");
        assertOneLineError(run("fleet", "claim", "vm1", "--alias", "gpu:1", "--numa-cells", "1,1", "--aliases", a),
                "distinct");
        Path bad = tmp.resolve("bad-aliases.json");
        Files.writeString(bad, "{\"name\": \"gpu\", \"vendor\": \"10de\"}");
        assertOneLineError(run("fleet", "claim", "vm1", "--alias", "gpu:1", "--aliases", bad.toString()),
                "alias key 'vendor' is not one of");
        assertOneLineError(new Cli().run("fleet", "claims", "--db", "mysql://x/y", "--state-dir",
                tmp.resolve("state").toString()), "--db");
        assertOneLineError(run("fleet", "release", "a", "b"), "pcipass fleet release GUEST");
        assertOneLineError(run("fleet", "frobnicate"), "fleet knows");
    }
}
