"""Every object the registry needs, built once per app.

``build_services(settings, db)`` is the one place that wires the stores, the vault, the
credentials helper, the Talon client and the services to each other. The web layer, the
commands and the host hook only use what it built; a test can build the same without
Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from task_master_llm.config import Settings
from task_master_llm.core.agent_sync import AgentSync, talon_client
from task_master_llm.core.agents import AgentService
from task_master_llm.core.audit import Actor, AuditLog, fingerprint_key, system_actor
from task_master_llm.core.credentials import Credentials
from task_master_llm.core.gateway_credentials import GatewayCredentials
from task_master_llm.core.health import HealthService
from task_master_llm.core.migration import AgentMigration
from task_master_llm.core.models import ModelService
from task_master_llm.core.providers import ProviderService
from task_master_llm.core.reconcile import Reconciler
from task_master_llm.core.rediscovery import Rediscovery
from task_master_llm.core.rotation import KeyRotation
from task_master_llm.store import AgentStore, ModelStore, ProviderStore
from task_master_llm.store.audit import AuditStore
from task_master_llm.store.health import HealthStore
from task_master_llm.store.tombstones import TombstoneStore
from task_master_llm.talon import TalonClient
from task_master_llm.vault import Vault, parse_master_key


@dataclass(frozen=True)
class Stores:
    """One store per collection."""

    providers: ProviderStore
    models: ModelStore
    agents: AgentStore
    tombstones: TombstoneStore
    audit: AuditStore
    health: HealthStore

    def ensure_indexes(self) -> None:
        """Create every index the stores rely on (idempotent)."""
        for store in (self.providers, self.models, self.agents, self.tombstones, self.audit,
                      self.health):
            store.ensure_indexes()


@dataclass(frozen=True)
class Services:
    """What one app's registry is made of (``app.extensions["task_master_llm"]``)."""

    settings: Settings
    db: Database
    vault: Vault
    stores: Stores
    credentials: Credentials
    talon: TalonClient
    gateway: GatewayCredentials
    providers: ProviderService
    models: ModelService
    agents: AgentService
    migration: AgentMigration
    rotation: KeyRotation
    reconciler: Reconciler
    audit: AuditLog
    rediscovery: Rediscovery
    health: HealthService


def build_stores(settings: Settings, db: Database) -> Stores:
    """The stores on the configured collections of ``db``."""
    names = settings.collections
    return Stores(
        providers=ProviderStore(db[names.providers]),
        models=ModelStore(db[names.models]),
        agents=AgentStore(db[names.agents]),
        tombstones=TombstoneStore(db[names.tombstones]),
        audit=AuditStore(db[names.audit]),
        health=HealthStore(db[names.health]),
    )


def build_services(
    settings: Settings,
    db: Database,
    *,
    talon: TalonClient | None = None,
    actor: Actor = system_actor,
) -> Services:
    """Build everything once. ``talon`` replaces the gateway client made from the
    settings (tests hand in one with another session factory); ``actor`` says who is
    acting, for the audit log (the web layer hands in the logged-in user's id)."""
    vault = Vault.from_strings(settings.encryption_key, settings.previous_keys)
    stores = build_stores(settings, db)
    credentials = Credentials(vault, settings.http)
    client = talon if talon is not None else talon_client(settings.talon)
    sync = AgentSync(stores.agents, stores.models, stores.providers, credentials, client,
                     settings.talon)
    agents = AgentService(stores.agents, stores.models, stores.providers, stores.tombstones,
                          sync)
    gateway = GatewayCredentials(stores.providers, stores.tombstones, credentials, client,
                                 settings.talon)
    audit = AuditLog(stores.audit, actor, fingerprint_key(parse_master_key(
        settings.encryption_key)), timeout=settings.audit_timeout)
    providers = ProviderService(stores.providers, stores.models, credentials, agents, gateway,
                                stores.health)
    models = ModelService(stores.models, stores.providers, agents)
    services = Services(
        settings=settings,
        db=db,
        vault=vault,
        stores=stores,
        credentials=credentials,
        talon=client,
        gateway=gateway,
        providers=providers,
        models=models,
        agents=agents,
        migration=AgentMigration(stores.agents, stores.models, stores.providers),
        rotation=KeyRotation(stores.providers.collection, vault),
        reconciler=Reconciler(
            agents, sync,
            (stores.agents, stores.models, stores.providers, stores.tombstones),
            gateway, settings.talon,
        ),
        audit=audit,
        rediscovery=Rediscovery(providers, models, stores.providers, stores.models),
        health=HealthService(stores.providers, credentials, stores.health, settings.health),
    )
    # one recorder for every service that audits (a class default records nothing)
    audited: tuple[Any, ...] = (services.providers, services.models, services.agents,
                                services.gateway, services.rotation, services.reconciler)
    for service in audited:
        service.audit = audit
    return services


__all__ = ["Services", "Stores", "build_services", "build_stores"]
