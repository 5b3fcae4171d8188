package org.pcipass.http;

import java.util.Map;

/** An answer other than 200, with its JSON body: {@code {"error", "exit", …}}. */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final transient Map<String, Object> body;

    ApiError(int status, Map<String, Object> body) {
        super(String.valueOf(body.get("error")), null, false, false);
        this.status = status;
        this.body = body;
    }

    /** {@code {"error": message, "exit": exit}}. */
    static ApiError of(int status, int exit, String message) {
        Map<String, Object> b = org.pcipass.apply.JsonTree.object();
        b.put("error", message);
        b.put("exit", exit);
        return new ApiError(status, b);
    }

    /** Bad input: 400 and exit 2, as the CLI's. */
    static ApiError badInput(String message) {
        return of(400, 2, message);
    }

    /** DESIGN.md's mapping of exit codes to HTTP: 2 → 400, 3 → 409, 1 (and anything else) → 500. */
    static int status(int exit) {
        return switch (exit) {
            case 0 -> 200;
            case 2 -> 400;
            case 3 -> 409;
            default -> 500;
        };
    }
}
