package com.pactcrm.connector.sync.resilience;

import java.time.Duration;

/** Our own limiter has no permit soon enough: the command waits in the outbox instead of a thread. */
public class RateLimitWaitTooLongException extends OutboundCallException {

    public RateLimitWaitTooLongException(String target, String operation, Duration wait) {
        super("local rate limit for " + target + "." + operation + ": next permit in " + wait.toMillis() + " ms",
                Disposition.RATE_LIMITED, 0, wait, null, null, null);
    }
}
