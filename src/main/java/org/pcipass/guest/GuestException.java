package org.pcipass.guest;

import org.pcipass.PcipassException;

/** The hypervisor refused, or could not be reached: exit 1, whatever was done is rolled back. */
public class GuestException extends PcipassException {
    private static final long serialVersionUID = 1L;

    public GuestException(String message) {
        super(message);
    }

    public GuestException(String message, Throwable cause) {
        super(message, cause);
    }
}
