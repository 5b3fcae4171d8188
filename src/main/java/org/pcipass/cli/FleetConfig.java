package org.pcipass.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.fleet.ConfigValue;
import org.pcipass.guest.GuestName;
import org.pcipass.store.DbUrl;

/**
 * The fleet's configuration, wherever it was written: the database ({@code --db URL}, else
 * {@code PCIPASS_DB}, else a {@code db = URL} line of {@code STATE/pcipass.conf}), Nova's device_spec
 * entries ({@code --spec FILE}, else the {@code device_spec = JSON} lines) and alias entries
 * ({@code --aliases FILE}, else the {@code alias = JSON} lines). A file holds a JSON object or an array of
 * them; each line of pcipass.conf holds one value, as each {@code device_spec =} of nova.conf's [pci].
 * Every value keeps where it was written, for the errors of whoever parses it.
 *
 * <pre>
 * FleetConfig f = FleetConfig.of(args, ctx);
 * DbUrl db = f.db();                          // BadInput naming --db, PCIPASS_DB and db = when none
 * List&lt;ConfigValue&gt; specs = f.specs();
 * </pre>
 */
public final class FleetConfig {
    /** The file of {@code key = value} lines in the state dir (GuestCli.hotplugLimit reads it too). */
    public static final String FILE = "pcipass.conf";

    private final String dbOption;
    private final String dbEnv;
    private final Path specFile;
    private final Path aliasesFile;
    private final Path conf;
    private List<Line> lines;

    private record Line(int number, String key, String value) {}

    private FleetConfig(String dbOption, String dbEnv, Path specFile, Path aliasesFile, Path conf) {
        this.dbOption = dbOption;
        this.dbEnv = dbEnv;
        this.specFile = specFile;
        this.aliasesFile = aliasesFile;
        this.conf = conf;
    }

    /**
     * The configuration from the options given (each may be null), the environment and {@code stateDir}.
     */
    public static FleetConfig of(String db, String specFile, String aliasesFile, Map<String, String> env,
            Path stateDir) {
        return new FleetConfig(db, env.get("PCIPASS_DB"), path("--spec", specFile), path("--aliases", aliasesFile),
                stateDir.resolve(FILE));
    }

    /** The configuration a command line names: {@code --db}, {@code --spec}, {@code --aliases}, the state dir. */
    static FleetConfig of(Args args, Context ctx) {
        return of(args.value("--db"), args.value("--spec"), args.value("--aliases"), ctx.env(),
                GlobalOptions.stateDir(args.globals, ctx.env()).path());
    }

    /**
     * The fleet's database.
     *
     * @throws PcipassException.BadInput when none is given, or when the URL is not one, naming where it was
     */
    public DbUrl db() {
        if (dbOption != null) {
            return DbUrl.parse(dbOption, "--db");
        }
        if (dbEnv != null && !dbEnv.isEmpty()) {
            return DbUrl.parse(dbEnv, "PCIPASS_DB");
        }
        Line line = null;
        for (Line l : lines()) {
            if (l.key().equals("db")) {
                if (line != null) {
                    throw new PcipassException.BadInput(conf + " has db = on lines " + line.number() + " and "
                            + l.number() + "; keep one");
                }
                line = l;
            }
        }
        if (line == null) {
            throw new PcipassException.BadInput("no fleet database: give --db URL, set PCIPASS_DB=URL, or write"
                    + " db = URL in " + conf + " (URL: postgresql://USER@HOST:PORT/DB)");
        }
        return DbUrl.parse(line.value(), conf + " line " + line.number());
    }

    /**
     * Whether a fleet database is configured at all ({@code --db}, {@code PCIPASS_DB} or {@code db =}):
     * single-host commands such as attach consult the fleet only then.
     */
    public boolean hasDb() {
        return dbOption != null || (dbEnv != null && !dbEnv.isEmpty())
                || lines().stream().anyMatch(l -> l.key().equals("db"));
    }

    /** The {@code host-name =} line: this host's name in the fleet when it is not its hostname; else null. */
    public String hostName() {
        String name = null;
        for (Line l : lines()) {
            if (l.key().equals("host-name")) {
                name = l.value();
            }
        }
        return name;
    }

    /** Nova device_spec values: {@code --spec FILE}'s, else the {@code device_spec =} lines' (none: empty). */
    public List<ConfigValue> specs() {
        return values(specFile, "--spec", "device_spec");
    }

    /** Nova alias values: {@code --aliases FILE}'s, else the {@code alias =} lines' (none: empty). */
    public List<ConfigValue> aliases() {
        return values(aliasesFile, "--aliases", "alias");
    }

    /** Where specs come from, for messages: the file, or the lines of pcipass.conf. */
    public String specsSource() {
        return specFile != null ? specFile.toString() : "the device_spec = lines of " + conf;
    }

    private List<ConfigValue> values(Path file, String option, String key) {
        if (file != null) {
            return fileValues(file, option);
        }
        List<ConfigValue> out = new ArrayList<>();
        for (Line l : lines()) {
            if (l.key().equals(key)) {
                out.add(new ConfigValue(l.value(), conf + " line " + l.number()));
            }
        }
        return out;
    }

    /** The file's object, or each object of its array, as its own value ({@code FILE entry N}, from 1). */
    private static List<ConfigValue> fileValues(Path file, String option) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException | RuntimeException e) {
            throw new PcipassException.BadInput(option + " " + file + " cannot be read (" + e.getMessage()
                    + "); give a readable JSON file");
        }
        Object json;
        try {
            json = JsonTree.parse(text);
        } catch (IOException e) {
            throw new PcipassException.BadInput(option + " " + file + " is not JSON (" + e.getMessage()
                    + "); write a JSON object or an array of objects");
        }
        if (json instanceof Map) {
            return List.of(new ConfigValue(text.strip(), file.toString()));
        }
        if (!(json instanceof List<?> list)) {
            throw new PcipassException.BadInput(option + " " + file + " holds " + (json == null ? "nothing"
                    : "a single value") + "; write a JSON object or an array of objects");
        }
        List<ConfigValue> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(new ConfigValue(JsonTree.compact(list.get(i)), file + " entry " + (i + 1)));
        }
        return out;
    }

    /** The {@code key = value} lines of pcipass.conf, read once; none when it does not exist. */
    private List<Line> lines() {
        if (lines != null) {
            return lines;
        }
        List<String> text;
        try {
            text = Files.readAllLines(conf);
        } catch (NoSuchFileException e) {
            text = List.of();
        } catch (IOException | RuntimeException e) {
            throw new PcipassException.BadInput(conf + " cannot be read (" + e.getMessage() + "); fix or remove it");
        }
        List<Line> out = new ArrayList<>();
        for (int i = 0; i < text.size(); i++) {
            String l = text.get(i).strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq < 0) {
                continue;
            }
            String key = l.substring(0, eq).strip();
            String value = l.substring(eq + 1).strip();
            if ((key.equals("db") || key.equals("device_spec") || key.equals("alias")) && value.isEmpty()) {
                throw new PcipassException.BadInput(conf + " line " + (i + 1) + ": " + GuestName.printable(key)
                        + " = has no value; write a value or remove the line");
            }
            out.add(new Line(i + 1, key, value));
        }
        lines = out;
        return out;
    }

    private static Path path(String option, String value) {
        if (value == null) {
            return null;
        }
        if (value.isBlank() || value.indexOf('\0') >= 0) {
            throw new PcipassException.BadInput(option + " '" + GuestName.printable(value) + "' is not a path; give"
                    + " a JSON file");
        }
        return Path.of(value);
    }
}
