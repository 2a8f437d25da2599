"""How patients reach the assistant: messaging-app connectors and the web widget.

Rasa custom input channels, each extending Rasa's own connector where it falls short
(origin checks, hashed sender ids, configurable API base URLs, asynchronous HTTP,
platform limits):

* :mod:`channels.telegram`: Telegram Bot API (secret-token header).
* :mod:`channels.twilio`: SMS and WhatsApp through Twilio (``X-Twilio-Signature``).
* :mod:`channels.facebook`: Facebook Messenger (``X-Hub-Signature-256``).
* :mod:`channels.widget`: the small static server of the public web widget
  (``web/``), which talks to Rasa's own socket.io channel.

They are configured in ``credentials.yml``; secrets come only from environment
variables (``.env.example`` lists the names). A channel whose secrets are not set is
not started, with one log line saying so (:mod:`channels.config`). What the
connectors share is split by subject; :mod:`channels.common` lists the modules.
"""
