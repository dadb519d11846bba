package com.pactcrm.connector.crm;

/**
 * A CRM entity: {@code type} is lead, deal or contact.
 *
 * @param created the find-or-create made this lead or deal just now (its triggering messages go into its timeline)
 */
public record CrmEntityRef(String type, String id, boolean created) {

    public CrmEntityRef(String type, String id) {
        this(type, id, false);
    }
}
