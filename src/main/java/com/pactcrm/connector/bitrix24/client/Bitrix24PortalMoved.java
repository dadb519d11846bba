package com.pactcrm.connector.bitrix24.client;

/** A portal answered from a new domain (302 after a rename, bitrix24.md §2): the new domain must be stored. */
public record Bitrix24PortalMoved(String memberId, String oldHost, String newHost) {
}
