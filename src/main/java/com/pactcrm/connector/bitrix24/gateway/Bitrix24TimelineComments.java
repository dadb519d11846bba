package com.pactcrm.connector.bitrix24.gateway;

import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.crm.TimelineTexts;

/**
 * The connector's timeline comments: {@link TimelineTexts}' words behind {@link #MARKER}, so people (and
 * the echo filter) see the comment is the connector's. Bitrix24 renders BB-code in comments ({@code [URL=…]},
 * {@code [IMG]}, {@code [USER=…]}), and the words quote what customers and operators wrote: a zero-width space after
 * every {@code [} keeps any tag from forming while the text reads the same. The portal's parser has no escape of its
 * own (its tags match {@code [NAME}), and HTML entities would be shown literally (it escapes HTML before BB-code).
 */
public final class Bitrix24TimelineComments {

    public static final String MARKER = "Pact · ";
    private static final String ZERO_WIDTH_SPACE = "\u200B";

    private Bitrix24TimelineComments() {
    }

    public static String textOf(TimelineEntry entry) {
        return MARKER + TimelineTexts.textOf(entry).replace("[", "[" + ZERO_WIDTH_SPACE);
    }

    /**
     * What every status comment of the entry's message starts with, whatever its status: the marker and the words
     * naming the message, up to where the status words begin. Derived from two statuses' texts rather than from
     * {@link TimelineTexts}' wording, so a change of words can only make it longer (stricter), never match more.
     */
    static String messagePrefix(TimelineEntry entry) {
        return TimelineTexts.messagePrefix(entry, Bitrix24TimelineComments::textOf);
    }
}
