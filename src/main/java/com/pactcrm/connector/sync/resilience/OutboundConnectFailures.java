package com.pactcrm.connector.sync.resilience;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/** Tells a failure to connect (the request never left) from a failure after the request was written. */
public final class OutboundConnectFailures {

    private OutboundConnectFailures() {
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
