package com.pactcrm.connector.sync.resilience;

import java.net.ConnectException;
import java.net.URI;
import java.net.NoRouteToHostException;
import io.micronaut.http.client.exceptions.ReadTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/**
 * Reads transport failures the same way for every client: a failure to connect (the request never
 * left) versus one after the request was written, a timeout waiting for the answer, and where a
 * redirect that no client follows pointed.
 */
public final class OutboundFailures {

    private OutboundFailures() {
    }

    public static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ReadTimeoutException || t instanceof TimeoutException
                    || t instanceof io.netty.handler.timeout.ReadTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The host a redirect's {@code Location} names, for messages: never its path or query, which may carry anything. */
    public static String hostOf(String location) {
        if (location == null) {
            return "nowhere (no Location)";
        }
        try {
            String host = URI.create(location.strip()).getHost();
            return host == null ? "a relative or unreadable Location" : host;
        } catch (IllegalArgumentException e) {
            return "a relative or unreadable Location";
        }
    }

    public static boolean neverSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof io.netty.channel.ConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
