package org.pcipass;

/** The one unchecked root of pcipass's own failures; each subclass maps to an exit code in one place. */
public class PcipassException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PcipassException(String message) {
        super(message);
    }

    public PcipassException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Exit code for this failure (DESIGN.md): 1 unless a subclass says otherwise. */
    public int exitCode() {
        return 1;
    }

    /** Bad input or usage: nothing was changed. Exit 2. */
    public static class BadInput extends PcipassException {
        private static final long serialVersionUID = 1L;

        public BadInput(String message) {
            super(message);
        }

        public BadInput(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public int exitCode() {
            return 2;
        }
    }

    /** Refused by policy: nothing was changed. Exit 3. */
    public static class Refused extends PcipassException {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }

        @Override
        public int exitCode() {
            return 3;
        }
    }
}
