package com.pactcrm.connector.sync.resilience;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import io.micronaut.http.client.exceptions.ReadTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/**
 * Reads transport failures the same way for every client: a failure to connect (the request never
 * left) versus one after the request was written, and a timeout waiting for the answer.
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
