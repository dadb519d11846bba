package com.pactcrm.connector.sync.outbox;

/** What an outbound command does, and which side it goes to. */
public enum CommandKind {
    /** Show a Pact message's status (clock, ticks, error) in the CRM timeline; coalesced per message. */
    CRM_MESSAGE_STATUS(Target.CRM),
    /** Copy an incoming or operator message of a linked conversation into the CRM timeline. */
    CRM_MESSAGE_HISTORY(Target.CRM),
    /** Note an archived, blocked or unanswered conversation in the CRM timeline. */
    CRM_CONVERSATION_STATE(Target.CRM),
    /** Find the CRM contact by phone, or create contact and lead, for a first incoming message. */
    CRM_FIND_OR_CREATE_CLIENT(Target.CRM),
    /** A CRM task (amoCRM task, Bitrix24 to-do) for an unanswered conversation. */
    CRM_TASK_OPEN(Target.CRM),
    /** Completes the task once the conversation is answered. */
    CRM_TASK_CLOSE(Target.CRM),
    /** Pact "write first" message. */
    PACT_WRITE_FIRST(Target.PACT),
    /** A message in an existing Pact conversation. */
    PACT_SEND_MESSAGE(Target.PACT),
    /** Responsible, archive or answered state of a Pact conversation. */
    PACT_UPDATE_CONVERSATION(Target.PACT),
    /** The comment on the Pact client card. */
    PACT_CONVERSATION_NOTE(Target.PACT);

    /** The side a command is delivered to. */
    public enum Target {
        PACT,
        CRM
    }

    private final Target target;

    CommandKind(Target target) {
        this.target = target;
    }

    public Target target() {
        return target;
    }
}
