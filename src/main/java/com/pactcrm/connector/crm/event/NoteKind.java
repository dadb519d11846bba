package com.pactcrm.connector.crm.event;

/** What kind of timeline note a CRM reported, so that only what people write is mirrored to Pact. */
public enum NoteKind {
    /** A plain text note typed by a person (amoCRM {@code common}, type 4). */
    COMMON,
    /** A call record (amoCRM {@code call_in}/{@code call_out}, types 10/11). */
    CALL,
    /** A note an integration wrote into the timeline (amoCRM {@code service_message}, type 25). */
    SERVICE,
    /** A note the CRM itself wrote (entity created, stage changed, ...). */
    SYSTEM,
    /** Anything else (SMS, attachments, geolocation, types not known yet). */
    OTHER
}
