package org.pcipass.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;
import picocli.CommandLine;

/** Entry point. Exit codes are mapped here and nowhere else (DESIGN.md). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                java.nio.charset.StandardCharsets.UTF_8);
        int code = run(args, new Context(out, System.err, System.getenv(), CommandRunner.SYSTEM));
        out.flush();
        System.exit(code);
    }

    /** Runs one command line in this process; what tests call. */
    public static int run(String[] args, Context ctx) {
        CommandLine cl = new CommandLine(new PcipassCommand(ctx));
        cl.setOut(new PrintWriter(ctx.out(), true));
        cl.setErr(new PrintWriter(ctx.err(), true));
        cl.setParameterExceptionHandler((ex, a) -> {
            String where = ex.getCommandLine().getCommandSpec().qualifiedName();
            ctx.err().println("pcipass: " + oneLine(ex.getMessage()) + " (see '" + where + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            ctx.out().flush();
            if (ex instanceof PcipassException pe) {
                ctx.err().println("pcipass: " + oneLine(pe.getMessage()));
                return pe.exitCode();
            }
            ctx.err().println("pcipass: internal error: " + oneLine(String.valueOf(ex))
                    + " (set PCIPASS_DEBUG=1 for the stack trace)");
            if (ctx.env().get("PCIPASS_DEBUG") != null) {
                ex.printStackTrace(ctx.err());
            }
            return 1;
        });
        int code = cl.execute(args);
        ctx.out().flush();
        return code;
    }

    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, new Context(out, err, env, CommandRunner.SYSTEM));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replace('\n', ' ').replace("\r", "");
    }
}
