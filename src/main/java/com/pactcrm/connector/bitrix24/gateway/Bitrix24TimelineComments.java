package com.pactcrm.connector.bitrix24.gateway;

import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.crm.TimelineTexts;

/**
 * The connector's timeline comments: {@link TimelineTexts}' words behind {@link #MARKER}, so people (and
 * the echo filter) see the comment is the connector's.
 */
public final class Bitrix24TimelineComments {

    public static final String MARKER = "Pact · ";

    private Bitrix24TimelineComments() {
    }

    public static String textOf(TimelineEntry entry) {
        return MARKER + TimelineTexts.textOf(entry);
    }
}
