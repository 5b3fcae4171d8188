package org.pcipass.cli;

import java.util.ArrayList;
import java.util.List;
import org.pcipass.plan.Step;

/** A plan's steps for people: one line each, and an edit's changed lines. */
final class StepText {
    private StepText() {}

    static String line(Step s) {
        if (s instanceof Step.Write w) {
            return String.format("%-14s %s <- %s", "write", w.path(), w.value().equals("\n") ? "(newline: clear)"
                    : w.value());
        } else if (s instanceof Step.ExpectDriver e) {
            return String.format("%-14s %s on %s", "expect-driver", e.device(), e.driver() == null ? "no driver"
                    : e.driver());
        } else if (s instanceof Step.Run r) {
            return String.format("%-14s %s", "run", String.join(" ", r.argv()));
        } else if (s instanceof Step.Wait w) {
            return String.format("%-14s %s", "wait", w.path());
        } else if (s instanceof Step.Attach a) {
            return String.format("%-14s %s to %s (%s, %s)", "attach", a.device(), a.guest(), backend(a.backend(),
                    a.connect()), a.mode().text());
        } else if (s instanceof Step.Detach d) {
            return String.format("%-14s %s from %s (%s, %s), wait up to %d s for the guest to release it", "detach",
                    d.device(), d.guest(), backend(d.backend(), d.connect()), d.mode().text(), d.timeoutSeconds());
        }
        Step.Edit e = (Step.Edit) s;
        return String.format("%-14s %s%s", "edit", e.file(), e.before() == null ? " (new file)"
                : e.after() == null ? " (removed)" : "");
    }

    private static String backend(String backend, String connect) {
        return connect == null ? backend : backend + " " + connect;
    }

    /** For an edit: the lines it removes (-) and adds (+); nothing for other steps. */
    static List<String> detail(Step s) {
        List<String> out = new ArrayList<>();
        if (!(s instanceof Step.Edit e)) {
            return out;
        }
        List<String> before = e.before() == null ? List.of() : e.before().lines().toList();
        List<String> after = e.after() == null ? List.of() : e.after().lines().toList();
        before.stream().filter(l -> !after.contains(l)).forEach(l -> out.add("- " + l));
        after.stream().filter(l -> !before.contains(l)).forEach(l -> out.add("+ " + l));
        return out;
    }
}
