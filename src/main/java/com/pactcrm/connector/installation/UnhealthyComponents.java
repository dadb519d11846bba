package com.pactcrm.connector.installation;

import io.micronaut.core.annotation.Introspected;

/**
 * How many installations have a component of one kind ({@code CRM_TOKEN}, {@code PACT_CHANNEL}, ...: the part
 * before any {@code :}) in one state other than OK: what alerts on blocked accounts and lost tokens count.
 */
@Introspected
public record UnhealthyComponents(String component, String state, long installations) {
}
