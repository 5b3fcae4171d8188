package org.pcipass.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.pcipass.apply.JsonTree;

/**
 * The errors Jetty answers itself, before any route (an ambiguous path such as {@code ..%2f..%2f},
 * a malformed request line, an oversize header): JSON like every other error, never an HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) throws IOException {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put("Content-Security-Policy", Server.CSP);
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8"));
        return ByteBuffer.wrap(body(status, reason));
    }

    static byte[] body(int code, String message) {
        String reason = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        Map<String, Object> o = JsonTree.object();
        o.put("error", "the request was refused by the HTTP layer: " + Requests.oneLine(reason)
                + (code == 400 ? " (a path with an encoded / or .. segments, or a malformed request, is never served)"
                : ""));
        o.put("exit", code >= 500 ? 1 : 2);
        return (JsonTree.pretty(o) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
