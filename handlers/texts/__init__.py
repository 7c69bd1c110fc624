"""Every sentence a user sees, in one package (Chinese; code and logs stay English):

    replies      the conversation: answers to records, commands and questions, help, refusals
    attachments  pictures, files and locations (留痕) in the conversation
    reminders    what the scheduler sends: duties, deadlines, escalations, digests, reports
    channel      what a channel answers by itself (a message type it cannot read, a crash)
    formatting   how dates read everywhere (「12月5日」, the year when it differs)

Command hints inside them are made from the command table (`handlers.commands.form`), so a
renamed command word changes everywhere. Texts of the web console and the people's pages live
in their Jinja templates (bot/web/templates, bot/public/templates).
"""
