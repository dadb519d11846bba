package com.pactcrm.connector.sync;

/** Who sent an inbound event. */
public enum EventSource {
    PACT,
    AMOCRM,
    BITRIX24
}
