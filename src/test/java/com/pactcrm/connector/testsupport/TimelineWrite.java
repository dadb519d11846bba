package com.pactcrm.connector.testsupport;

/**
 * One timeline entry a fake CRM wrote (an amoCRM note, a Bitrix24 timeline comment), created or edited, with
 * the arrival ({@link System#nanoTime()}) of the request that wrote it: when the CRM's card showed the change.
 *
 * @param account  the amoCRM account host or the Bitrix24 portal host
 * @param entityId the lead or deal the entry is on
 * @param entryId  the note or comment id (an edit names the entry it changed)
 */
public record TimelineWrite(long arrivalNanos, String account, String entityId, long entryId, String text, boolean created) {
}
