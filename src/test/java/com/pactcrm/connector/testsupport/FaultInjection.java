package com.pactcrm.connector.testsupport;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random failures a fake CRM gives a share of its calls, the three ways a real one fails a client:
 * a 5xx before doing anything, a call that hangs and then loses its connection, and a write that was made
 * but whose answer never arrives (so a client that simply repeats it writes twice). The same seed gives the
 * same sequence of decisions.
 */
public final class FaultInjection {

    /** How long a hung call is held before its connection is reset, unless told otherwise. */
    public static final Duration HOLD = Duration.ofSeconds(3);

    public enum Kind {
        /** 500, 502 or 504 at once; nothing written. */
        SERVER_ERROR,
        /** Held (3 s), then the connection is reset; nothing written. */
        TIMEOUT,
        /** Written, then held (3 s) and answered with a reset connection or a 504. */
        APPLIED_THEN_LOST
    }

    /** What happens to one call: the kind, for an answer with a status that status (0: connection reset), the hold. */
    public record Decision(Kind kind, int status, Duration hold) {

        /** Whether the fake makes the write before failing the answer. */
        public boolean applied() {
            return kind == Kind.APPLIED_THEN_LOST;
        }

        /** The failed answer in WireMock's terms, given the fake's normal answer for a write it made. */
        public ResponseDefinitionBuilder answer() {
            ResponseDefinitionBuilder failed = ResponseDefinitionBuilder.responseDefinition();
            if (kind != Kind.SERVER_ERROR) {
                failed.withFixedDelay((int) hold.toMillis());
            }
            if (status == 0) {
                return failed.withFault(Fault.CONNECTION_RESET_BY_PEER);
            }
            return failed.withStatus(status).withHeader("Content-Type", "text/html")
                    .withBody("<html>\n<head><title>" + status + "</title></head>\n<body>\n<center><h1>" + status
                            + "</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n");
        }
    }

    private static final int[] SERVER_ERRORS = {500, 502, 504};

    private final double rate;
    private final Duration hold;
    private final Random random;
    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);

    /** {@code rate} of the calls (0…1) fail, evenly spread over the three kinds; hung calls are held {@link #HOLD}. */
    public FaultInjection(double rate, long seed) {
        this(rate, seed, HOLD);
    }

    public FaultInjection(double rate, long seed, Duration hold) {
        this.rate = rate;
        this.hold = hold;
        this.random = new Random(seed);
    }

    /** @return the failure for the next call, or null when it goes through */
    public synchronized Decision next() {
        if (random.nextDouble() >= rate) {
            return null;
        }
        Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
        counts.merge(kind, 1, Integer::sum);
        return switch (kind) {
            case SERVER_ERROR -> new Decision(kind, SERVER_ERRORS[random.nextInt(SERVER_ERRORS.length)], hold);
            case TIMEOUT -> new Decision(kind, 0, hold);
            case APPLIED_THEN_LOST -> new Decision(kind, random.nextBoolean() ? 0 : 504, hold);
        };
    }

    /** How many calls failed each way so far. */
    public synchronized Map<Kind, Integer> counts() {
        return Map.copyOf(counts);
    }
}
