package org.pcipass.persist;

import org.pcipass.PcipassException;

/** A file changed between plan and apply: nothing was written. Exit 1. */
public final class FileChangedException extends PcipassException {
    private static final long serialVersionUID = 1L;

    public FileChangedException(String message) {
        super(message);
    }
}
