package org.pcipass.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.pcipass.PcipassException;

class ModprobePropertiesTest {
    /** Modules that generated files talk about: never the devices' own modules or the stubs. */
    private static final List<String> OTHER_MODULES = List.of("snd_hda_intel", "nouveau", "igb", "usb-storage", "kvm_intel");
    private static final List<String> DEVICE_MODULES = List.of("bnx2", "e1000", "tg3", "xhci_pci");

    private static PersistTarget target(String text, boolean rhel5, boolean xen) {
        return new PersistTarget(Path.of("/root"), rhel5 ? PersistTarget.MODPROBE_CONF : PersistTarget.MODPROBE_D,
                xen ? "xen-pciback" : "pciback", Set.of(), null, AtomicFile.Snapshot.ofText(text), Map.of());
    }

    @Property(tries = 600)
    void hideKeepsEveryOutsideLineAndUnhideRestoresTheBytes(@ForAll("modprobeFiles") String original,
            @ForAll("deviceSets") List<PersistedDevice> devices, @ForAll boolean rhel5, @ForAll boolean xen) {
        PersistPlan hidden = Devices.plan(target(original, rhel5, xen), List.of(), devices, Set.of());
        String afterHide = hidden.after() == null ? "" : hidden.after();
        if (!afterHide.contains(ModprobeFile.BEGIN)) {
            // Nothing modprobe can do (e.g. ids on both vfio-pci and pci-stub): the file stays as it was.
            assertThat(hidden.changesFile()).isFalse();
            assertThat(hidden.bootReapply()).isNotEmpty();
            return;
        }
        assertThat(outsideLines(afterHide)).isEqualTo(lines(original));
        List<String> block = ModprobeFile.parse("f", afterHide).blockBody();
        assertThat(directives(afterHide).stream().filter(d -> !block.contains(d)).toList())
                .as("what modprobe reads outside the block").isEqualTo(directives(original));

        PersistPlan again = Devices.plan(target(afterHide, rhel5, xen), devices, devices, Set.of());
        assertThat(again.changesFile()).isFalse();

        PersistPlan unhidden = Devices.plan(target(afterHide, rhel5, xen), devices, List.of(), Set.of());
        byte[] restored = unhidden.after() == null ? new byte[0] : unhidden.afterBytes();
        assertThat(restored).isEqualTo(original.getBytes(StandardCharsets.UTF_8));
        if (!original.isEmpty()) {
            assertThat(unhidden.after()).isEqualTo(original);
        }
    }

    @Property(tries = 300)
    void aLineOutsideTheBlockAboutTheSameModuleIsAlwaysRefused(@ForAll("modprobeFiles") String original,
            @ForAll("deviceSets") List<PersistedDevice> devices, @ForAll @IntRange(min = 0, max = 2) int kind,
            @ForAll @IntRange(min = 0, max = 1000) int where) {
        PersistedDevice d = devices.get(0);
        String module = d.module() != null ? d.module() : d.stub().module("pciback");
        String conflict = switch (kind) {
            case 0 -> "options " + d.stub().module("pciback") + " x=1";
            case 1 -> "blacklist " + module;
            default -> "install " + module + " /bin/true";
        };
        List<String> pieces = new ArrayList<>(Arrays.asList(original.split("(?<=\n)")));
        if (original.isEmpty()) {
            pieces.clear();
        }
        int at = where % (pieces.size() + 1);
        boolean danglingBefore = at > 0 && pieces.get(at - 1).replace("\n", "").endsWith("\\");
        boolean unterminatedBefore = at > 0 && !pieces.get(at - 1).endsWith("\n");
        pieces.add(at, (unterminatedBefore ? "\n" : "") + conflict + "\n");
        String text = String.join("", pieces);

        if (!danglingBefore) {
            assertThatThrownBy(() -> Devices.plan(target(text, true, false), List.of(), devices, Set.of()))
                    .isInstanceOf(PcipassException.Refused.class)
                    .hasMessageContaining("configures " + conflict.split(" ")[1] + " outside pcipass's block");
        }
    }

    /**
     * Whatever the kernel command line gives a stub, no persisted device is lost: a modular stub's
     * line names it (and everything the command line names), or apply-boot re-applies it; where the
     * command line's value is the one the stub ends with and does not name it, it is re-applied and
     * the advised parameter names it; a built-in stub's is the command line, advised to name it.
     */
    @Property(tries = 500)
    void everyPersistedDeviceStaysHiddenWhicheverValueTheStubEndsWith(@ForAll("deviceSets") List<PersistedDevice> devices,
            @ForAll("cmdlines") String line, @ForAll boolean rhel5, @ForAll boolean xen,
            @ForAll("stubSets") Set<Stub> builtIn) {
        String module = xen ? "xen-pciback" : "pciback";
        KernelCmdline cmdline = new KernelCmdline(line, !rhel5);
        ModprobeLines.Rendering r = ModprobeLines.render(devices, module, builtIn, Set.of(), cmdline);
        for (PersistedDevice d : devices) {
            StubParam p = StubParam.of(d.stub(), module, cmdline);
            boolean advised = r.advice().stream().anyMatch(a -> a.name().equals(p.module() + "." + p.name())
                    && a.parameter().contains(p.entry(d)) && java.util.Objects.equals(a.replaces(), p.current()));
            if (builtIn.contains(d.stub())) {
                assertThat(p.names(d) || advised || r.bootReapply().contains(d)).as("%s on a built-in stub: %s", d, r)
                        .isTrue();
                continue;
            }
            String options = r.lines().stream().filter(l -> l.startsWith("options " + p.module() + " ")).findFirst()
                    .orElse(null);
            boolean reapplied = r.bootReapply().contains(d);
            assertThat(reapplied || options != null && options.contains(p.entry(d))).as("%s: %s", d, r).isTrue();
            if (options != null) {
                p.cmdlineEntries().forEach(e -> assertThat(options).as("the command line's entries").contains(e));
            }
            boolean byLine = options != null && options.contains(p.entry(d));
            if (cmdline.readByModprobe() && p.current() != null && !p.names(d) && byLine) {
                assertThat(reapplied).as("%s: the command line's %s wins: %s", d, p.current(), r).isTrue();
                assertThat(advised).as("%s advised onto %s: %s", d, p.current(), r).isTrue();
            }
        }
    }

    @Provide
    Arbitrary<String> cmdlines() {
        Arbitrary<String> word = Arbitraries.of("", "ro quiet", "vfio-pci.ids=1b36:0005", "vfio_pci.ids=10de:1b80",
                "pci-stub.ids=8086:1533,14e4:1639", "xen-pciback.hide=(0000:00:00.0)", "pciback.hide=(01:02.3)(0000:0b:*.*)",
                "\"vfio-pci.ids=10de:1b80,8086:1533\"", "xen_pciback.hide=(0001:00:00.0)(02:00.0)");
        return Combinators.combine(word, word, word).as((a, b, c) -> (a + " " + b + " " + c).strip());
    }

    @Provide
    Arbitrary<Set<Stub>> stubSets() {
        return Arbitraries.subsetOf(Stub.values());
    }

    /** The lines of {@code text} (contents, no terminators) with pcipass's block left out. */
    private static List<String> outsideLines(String text) {
        List<String> all = lines(text);
        int begin = all.indexOf(ModprobeFile.BEGIN);
        int end = all.indexOf(ModprobeFile.END);
        assertThat(begin).isGreaterThanOrEqualTo(0);
        List<String> outside = new ArrayList<>(all.subList(0, begin));
        outside.addAll(all.subList(end + 1, all.size()));
        return outside;
    }

    /** The directives modprobe reads: lines joined at a trailing backslash, comments and blanks dropped. */
    private static List<String> directives(String text) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String l : text.isEmpty() ? List.<String>of() : lines(text)) {
            if (l.endsWith("\\")) {
                current.append(l, 0, l.length() - 1);
                continue;
            }
            String d = current.append(l).toString().replaceAll("\r$", "").strip();
            current.setLength(0);
            if (!d.isEmpty() && !d.startsWith("#")) {
                result.add(d);
            }
        }
        if (current.length() > 0 && !current.toString().strip().startsWith("#")) {
            result.add(current.toString().strip());
        }
        return result;
    }

    private static List<String> lines(String text) {
        List<String> l = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (l.get(l.size() - 1).isEmpty()) {
            l.remove(l.size() - 1);
        }
        return l;
    }

    @Provide
    Arbitrary<String> modprobeFiles() {
        Arbitrary<String> line = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, comment()),
                net.jqwik.api.Tuple.of(2, Arbitraries.of("", "   ", "\t", "\r")),
                net.jqwik.api.Tuple.of(4, directive()),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("options", "frobnicate foo", "install igb", "softdep igb",
                        "alias", "options igb a=1 \\", "# ends in a backslash \\", "\\")),
                net.jqwik.api.Tuple.of(1, unicode()));
        Arbitrary<String> terminator = Arbitraries.of("\n", "\n", "\n", "\r\n");
        Arbitrary<String> terminated = Combinators.combine(line, terminator).as(String::concat);
        return Combinators.combine(terminated.list().ofMaxSize(12), line, Arbitraries.of(true, false))
                .as((body, last, unterminated) -> String.join("", body) + (unterminated ? last : ""));
    }

    private static Arbitrary<String> comment() {
        return Combinators.combine(Arbitraries.of("#", "# ", "  #", "#\t"), unicode()).as(String::concat);
    }

    private static Arbitrary<String> unicode() {
        Arbitrary<String> chars = Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\u07ff')
                .withCharRange('\u3040', '\u30ff').withChars('\t', '\r', '\\').ofMaxLength(30);
        return Arbitraries.oneOf(chars, Arbitraries.of("café", "🐧 tux", "naïve ☃", "日本語のコメント", "\uFEFFbom"));
    }

    private static Arbitrary<String> directive() {
        Arbitrary<String> module = Arbitraries.of(OTHER_MODULES);
        Arbitrary<String> args = Arbitraries.of("", " x=1", " a=1 b=2", " /sbin/modprobe --ignore-install igb",
                " pre: kvm", " \\\n  continued=1");
        return Combinators.combine(Arbitraries.of("alias pci:v*", "options", "install", "remove", "blacklist",
                        "softdep", "include /etc/modprobe.d/x", "  options"), module, args)
                .as((d, m, a) -> d.startsWith("alias") || d.startsWith("include") ? d + " " + m : d + " " + m + a);
    }

    @Provide
    Arbitrary<List<PersistedDevice>> deviceSets() {
        return Devices.arbitrarySets(DEVICE_MODULES);
    }
}
