package org.pcipass.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;

/** Entry point. Exit codes are mapped here and nowhere else (DESIGN.md). */
public final class Main {
    static final String VERSION = "pcipass 0.1.0";
    private static final List<Command> COMMANDS =
            List.of(new ListCommand(), new ShowCommand(), new GroupsCommand(), new CheckCommand(),
                    new HideCommand(), new UnhideCommand(), new RecoverCommand(), new ConfigCommand(),
                    new ApplyBootCommand(), new AttachCommand(), new DetachCommand(), new AssignmentsCommand(),
                    new MigrateCheckCommand(), new GuestSetupCommand(), new TokenCommand(), new AuditCommand(), new ServeCommand(),
                    new FleetCommand(), new AgentCommand());

    private Main() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        int code = run(args, new Context(out, System.err, System.getenv(), CommandRunner.SYSTEM));
        out.flush();
        System.exit(code);
    }

    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, new Context(out, err, env, CommandRunner.SYSTEM));
    }

    /** Runs one command line in this process; what tests call. */
    public static int run(String[] argv, Context ctx) {
        Map<String, Command> byName = new LinkedHashMap<>();
        Map<String, CommandSpec> specs = new LinkedHashMap<>();
        for (Command c : COMMANDS) {
            byName.put(c.spec().name(), c);
            specs.put(c.spec().name(), c.spec());
        }
        try {
            Args args = Args.parse(argv, specs);
            if (args.version) {
                ctx.out().println(VERSION);
                return 0;
            }
            Command command = args.command == null ? null : byName.get(args.command);
            if (args.help) {
                ctx.out().print(command == null ? Help.top(COMMANDS) : Help.command(command.spec()));
                return 0;
            }
            if (command == null) {
                throw new PcipassException.BadInput("a command is required: " + String.join(", ", specs.keySet())
                        + " (see 'pcipass --help')");
            }
            StateDirCheck.check(args, ctx, command.stateDirUse(args));
            return command.run(args, ctx);
        } catch (PcipassException e) {
            ctx.out().flush();
            ctx.err().println("pcipass: " + oneLine(e.getMessage()));
            return e.exitCode();
        } catch (RuntimeException e) {
            ctx.out().flush();
            ctx.err().println("pcipass: internal error: " + oneLine(String.valueOf(e))
                    + " (set PCIPASS_DEBUG=1 for the stack trace)");
            if (ctx.env().get("PCIPASS_DEBUG") != null && !ctx.env().get("PCIPASS_DEBUG").isEmpty()) {
                e.printStackTrace(ctx.err());
            }
            return 1;
        } finally {
            ctx.out().flush();
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replace('\n', ' ').replace("\r", "");
    }
}
