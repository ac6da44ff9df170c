"""The registry's behaviour, independent of Flask and marshmallow.

:func:`~task_master_llm.core.services.build_services` builds every store, the vault, the
credentials helper, the gateway client and every service once per app; the web layer and
the commands only call them.
"""
