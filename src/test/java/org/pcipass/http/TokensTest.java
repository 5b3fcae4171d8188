package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcipass.PcipassException;
import org.pcipass.cli.Main;
import org.pcipass.testing.ChildPcipass;

/** The API's tokens file, and {@code pcipass token add|list|remove}. */
class TokensTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {}

    private Run pcipass(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("--state-dir", tmp.resolve("state").toString()));
        argv.addAll(List.of(args));
        int exit = Main.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path file() {
        return tmp.resolve("state/tokens");
    }

    @Test
    void addPrintsASecretOnceThatAuthenticatesAndTheFileIsTheOwnersAlone() throws Exception {
        Run add = pcipass("token", "add", "alice", "--role", "admin");
        assertThat(add.exit()).as(add.err()).isZero();
        String secret = add.out().strip();
        assertThat(secret).matches("[A-Za-z0-9_-]{43}"); // 256 bits, base64url without padding
        assertThat(add.err()).contains("token alice (admin) added to " + file()).contains("shown only now");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
        assertThat(Files.readString(file())).isEqualTo("alice admin " + secret + "\n");

        Run viewer = pcipass("token", "add", "grafana", "--role", "viewer");
        String other = viewer.out().strip();
        assertThat(other).isNotEqualTo(secret);
        Tokens tokens = Tokens.load(file());
        assertThat(tokens.authenticate(secret).name()).isEqualTo("alice");
        assertThat(tokens.authenticate(secret).role()).isEqualTo(Tokens.Role.ADMIN);
        assertThat(tokens.authenticate(other).role()).isEqualTo(Tokens.Role.VIEWER);
        assertThat(tokens.authenticate(secret.substring(1))).isNull();
        assertThat(tokens.authenticate("")).isNull();
        assertThat(tokens.authenticate(null)).isNull();

        Run list = pcipass("token", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("alice").contains("admin").contains("grafana").contains("viewer")
                .doesNotContain(secret).doesNotContain(other);
        Run json = pcipass("token", "list", "--json");
        assertThat(json.out()).contains("\"name\" : \"alice\"").contains("\"role\" : \"admin\"").doesNotContain(secret);
    }

    @Test
    void removeDropsThatLineAndKeepsTheRest() throws Exception {
        Files.createDirectories(file().getParent());
        String kept = "# who may use the API\nbob viewer " + "b".repeat(43) + "\n\n";
        Files.writeString(file(), kept);
        String secret = pcipass("token", "add", "alice", "--role", "admin").out().strip();
        assertThat(Files.readString(file())).isEqualTo(kept + "alice admin " + secret + "\n");
        Run remove = pcipass("token", "remove", "alice");
        assertThat(remove.exit()).as(remove.err()).isZero();
        assertThat(Files.readString(file())).isEqualTo(kept);
        assertThat(Tokens.read(file(), true).authenticate(secret)).isNull();
    }

    @Test
    void badInputIsOneLineExitTwoAndChangesNothing() throws Exception {
        pcipass("token", "add", "alice", "--role", "admin");
        String before = Files.readString(file());
        for (String[] args : List.of(
                new String[] {"token", "add", "alice", "--role", "viewer"},
                new String[] {"token", "add", "carol", "--role", "root"},
                new String[] {"token", "add", "carol"},
                new String[] {"token", "add", "a b", "--role", "admin"},
                new String[] {"token", "add", "x\ny", "--role", "admin"},
                new String[] {"token", "add", "<script>", "--role", "admin"},
                new String[] {"token", "remove", "nobody"},
                new String[] {"token", "rotate", "alice"},
                new String[] {"token", "list", "extra"})) {
            Run r = pcipass(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", args)).doesNotContain("\n").startsWith("pcipass: ");
            assertThat(r.out()).isEmpty();
        }
        assertThat(Files.readString(file())).isEqualTo(before);
        assertThat(pcipass("token", "add", "x\ny", "--role", "admin").err()).contains("'x\\x0ay'");
    }

    @Test
    void theServerRefusesAFileOthersCanReadOrAnotherUserOwns() throws Exception {
        String secret = pcipass("token", "add", "alice", "--role", "admin").out().strip();
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("r--------"));
        assertThat(Tokens.load(file()).authenticate(secret)).isNotNull(); // 0400 is fine
        for (String mode : List.of("rw-r-----", "rw----r--", "rw--w----", "rw-rw-rw-")) {
            Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString(mode));
            assertThatThrownBy(() -> Tokens.load(file())).as(mode).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageContaining("token file " + file() + " is " + mode)
                    .hasMessageEndingWith("run chmod 600 " + file());
        }
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-------"));
        UserPrincipal nobody = file().getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        UserPrincipal me = Files.getOwner(file());
        Files.setOwner(file(), nobody);
        try {
            assertThatThrownBy(() -> Tokens.load(file())).isInstanceOf(PcipassException.BadInput.class)
                    .hasMessageContaining("is owned by nobody, not by " + System.getProperty("user.name"))
                    .hasMessageContaining("run chown");
        } finally {
            Files.setOwner(file(), me);
        }
        assertThatThrownBy(() -> Tokens.load(tmp.resolve("absent"))).isInstanceOf(PcipassException.BadInput.class)
                .hasMessageContaining("does not exist; make a token with pcipass token add");
        assertThatThrownBy(() -> Tokens.load(tmp)).isInstanceOf(PcipassException.BadInput.class)
                .hasMessageContaining("is not a regular file");
    }

    @Test
    void aGarbledFileNamesTheLine() {
        String good = "a".repeat(43);
        for (String[] c : List.of(
                new String[] {"alice admin\n", "line 1 is not NAME ROLE SECRET"},
                new String[] {"# c\nalice root " + good + "\n", "line 2: the role is neither viewer nor admin"},
                new String[] {"alice admin short\n", "line 1: the secret is not 22-256 base64url characters"},
                new String[] {"al ice admin " + good + "\n", "line 1 is not NAME ROLE SECRET"},
                new String[] {"-x admin " + good + "\n", "line 1: the name is not"},
                new String[] {"a admin " + good + "\na viewer " + "c".repeat(43) + "\n", "line 2: the name a is used twice"},
                new String[] {"a admin " + good + "\nb viewer " + good + "\n", "line 2: the secret of b is another token's"})) {
            assertThatThrownBy(() -> Tokens.parse(Path.of("t"), c[0])).as(c[0])
                    .isInstanceOf(PcipassException.BadInput.class).hasMessageContaining("token file t " + c[1]);
        }
        assertThat(Tokens.parse(Path.of("t"), "# none yet\n\n")).isEmpty();
    }

    @Test
    void processesAddingTokensAtOnceLoseNone() throws Exception {
        List<ChildPcipass> children = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            children.add(ChildPcipass.startMain(Main.class, Map.of(), List.of("--state-dir",
                    tmp.resolve("state").toString(), "token", "add", "t" + i, "--role", "viewer")));
        }
        for (ChildPcipass c : children) {
            try (c) {
                ChildPcipass.Outcome o = c.waitFor(Duration.ofSeconds(60));
                assertThat(o.exitCode()).as(o.stderr()).isZero();
            }
        }
        assertThat(Tokens.load(file()).all()).extracting(Tokens.Token::name)
                .containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4", "t5");
    }
}
