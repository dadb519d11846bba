package com.pactcrm.connector.bitrix24;

import com.pactcrm.connector.ops.problem.ProblemException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A portal's {@code member_id} as the connector keys everything by it: 32 lowercase hexadecimal characters, the
 * shape Bitrix24 issues (an md5; bitrix24.md §1.3, §3.2 examples). Callers post it themselves, so it is checked and
 * made canonical at the edge: the installation column's collation treats {@code ABC}, {@code abc} and {@code abc }
 * as one portal, and in-memory keys (rate-limit buckets, install locks) must do the same.
 */
public final class Bitrix24MemberId {

    private static final Pattern SHAPE = Pattern.compile("[0-9a-f]{32}");

    private Bitrix24MemberId() {
    }

    /** @return the canonical form, or null when {@code raw} is not a member_id */
    public static String canonicalOrNull(String raw) {
        if (raw == null || raw.length() > 64) {
            return null;
        }
        String canonical = raw.strip().toLowerCase(Locale.ROOT);
        return SHAPE.matcher(canonical).matches() ? canonical : null;
    }

    /** @throws ProblemException 400 when {@code raw} is missing or not a member_id */
    public static String require(String raw) {
        String canonical = canonicalOrNull(raw);
        if (canonical == null) {
            throw ProblemException.badRequest("member_id must be 32 hexadecimal characters");
        }
        return canonical;
    }
}
