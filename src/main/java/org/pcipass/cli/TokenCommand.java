package org.pcipass.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.http.Tokens;

/**
 * {@code pcipass token add NAME --role ROLE | list | remove NAME}: the bearer tokens of
 * {@code pcipass serve}'s API, in {@code STATE/tokens} (or {@code --token-file FILE}).
 */
final class TokenCommand implements Command {
    static final CommandSpec.Opt TOKEN_FILE = CommandSpec.value("--token-file", "FILE",
            "the tokens file (default STATE/tokens, mode 0600)");
    private static final CommandSpec SPEC = new CommandSpec("token",
            "The API's bearer tokens: add one (its secret is printed once), list their names and roles, remove one.",
            List.of(CommandSpec.value("--role", "ROLE", "add: viewer (reads) or admin (reads and changes)"),
                    TOKEN_FILE, CommandSpec.flag("--json", "list: print a JSON array of {name, role}")),
            "add NAME | list | remove NAME", CommandSpec.Arity.MANY,
            List.of("The file holds one token per line, NAME ROLE SECRET; pcipass serve refuses to start when"
                    + " group or others can read or write it, or another user owns it. A secret is 256 random bits,"
                    + " shown only by token add: keep it, it cannot be shown again."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public StateDirCheck.Use stateDirUse(Args args) {
        if (args.value("--token-file") != null) {
            return StateDirCheck.Use.NONE;
        }
        return "list".equals(first(args)) ? StateDirCheck.Use.READ : StateDirCheck.Use.CREATE;
    }

    @Override
    public int run(Args args, Context ctx) {
        List<String> p = args.positionals;
        String action = p.get(0);
        Path file = file(args, ctx);
        switch (action) {
            case "add" -> {
                need(p, 2, "pcipass token add NAME --role viewer|admin");
                if (args.value("--role") == null) {
                    throw new PcipassException.BadInput("token add needs --role: viewer (reads) or admin (reads and"
                            + " changes)");
                }
                Tokens.Token t = Tokens.add(file, p.get(1), args.value("--role"));
                ctx.out().println(t.secret());
                ctx.err().println("pcipass: token " + t.name() + " (" + t.role().text() + ") added to " + file
                        + "; its secret, above, is shown only now");
                return 0;
            }
            case "list" -> {
                need(p, 1, "pcipass token list");
                List<Tokens.Token> all = Tokens.read(file, false).all();
                if (args.flag("--json")) {
                    List<Object> out = new ArrayList<>();
                    for (Tokens.Token t : all) {
                        Map<String, Object> n = JsonTree.object();
                        n.put("name", t.name());
                        n.put("role", t.role().text());
                        out.add(n);
                    }
                    ctx.out().println(JsonTree.pretty(out));
                    return 0;
                }
                if (all.isEmpty()) {
                    ctx.out().println("no tokens in " + file);
                    return 0;
                }
                Table t = new Table("NAME", "ROLE");
                all.forEach(k -> t.row(k.name(), k.role().text()));
                t.print(ctx.out());
                return 0;
            }
            case "remove" -> {
                need(p, 2, "pcipass token remove NAME");
                Tokens.remove(file, p.get(1));
                ctx.err().println("pcipass: token " + p.get(1) + " removed from " + file);
                return 0;
            }
            default -> throw new PcipassException.BadInput("token knows add, list and remove, not "
                    + Tokens.quote(action) + " (see 'pcipass token --help')");
        }
    }

    static Path file(Args args, Context ctx) {
        String given = args.value("--token-file");
        return given != null ? Path.of(given) : Tokens.defaultFile(ctx.paths(args).stateDir());
    }

    private static String first(Args args) {
        return args.positionals.isEmpty() ? null : args.positionals.get(0);
    }

    private static void need(List<String> p, int count, String usage) {
        if (p.size() != count) {
            throw new PcipassException.BadInput("write '" + usage + "' (see 'pcipass token --help')");
        }
    }
}
