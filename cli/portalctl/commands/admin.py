"""`portalctl admin`: users, organisations, departments, custom fields, knowledge-base articles, notices and the
sign-up policy."""

from __future__ import annotations

import click

from portalctl.commands.admin_articles import articles as admin_articles
from portalctl.commands.context import POSITIVE, Output, app, limit_options, message, output_options
from portalctl.commands.notices import admin_notices
from portalctl.commands.signup import admin_signup
from portalctl.i18n import _
from portalctl.labels import label
from portalctl.model import FIELD_TYPES, ROLES, FieldDef

USER_COLUMNS = ("email", "name", "role", "organization", "manager", "active")
ORG_COLUMNS = ("slug", "name", "shared_tickets", "timezone", "business_hours", "resolution_hours", "country",
               "domains", "users")
DEPARTMENT_COLUMNS = ("slug", "name", "description")
FIELD_COLUMNS = ("key", "label", "type", "required", "choices", "pattern", "customer_editable", "department")


@click.group()
def admin() -> None:
    """Manage users, organisations, departments, custom fields, articles, notices and sign-up (admins; agents may
    list).

    \b
    Examples:
      portalctl admin orgs add "Importadora Andina" --timezone America/Bogota --shared-tickets
      portalctl admin users add ana@andina.example --name "Ana Ruiz" --org importadora-andina
      portalctl admin fields add user_code --label "Código de usuario VAI" --pattern '\\d{4}' --required
    """


# --- users
@admin.group()
def users() -> None:
    """Portal users: customers of client companies, agents and admins."""


@users.command("list")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--org", metavar="NAME", help="Users of this organisation.")
@click.option("--inactive", is_flag=True, help="Include deactivated users.")
@limit_options
@output_options(USER_COLUMNS)
def users_list(role: str | None, org: str | None, inactive: bool, limit: int, all_: bool, output: Output) -> None:
    """List users.

    \b
    Example:
      portalctl admin users list --org acme --inactive
    """
    found = app().client.accounts.users(role=role, organization=org, inactive=inactive)
    output.many(found if all_ else found[:limit])


@users.command("add")
@click.argument("email")
@click.option("--name", help="Full name (default: the e-mail).")
@click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
@click.option("--org", metavar="NAME", help="The client company they belong to.")
@click.option("--manager", is_flag=True,
              help="Their organisation's contact manager: adds and deactivates its users ('portalctl contacts').")
@click.option("--country", metavar="CC", help="ISO country code, e.g. CO (default: their organisation's).")
@output_options(USER_COLUMNS)
def users_add(email: str, name: str | None, role: str, org: str | None, manager: bool, country: str | None,
              output: Output) -> None:
    """Give someone access to the portal.

    \b
    Examples:
      portalctl admin users add bob@acme.example --name "Bob Stone" --org acme
      portalctl admin users add marta@andina.example --org importadora-andina --manager
    """
    client = app().client
    if manager or country:
        user = client.portal_accounts.add_user(email=email, name=name or email, role=role, organization=org,
                                               manager=manager, country=country)
    else:
        user = client.accounts.add_user(email=email, name=name or email, role=role, organization=org)
    added = _("Added {role} (contact manager) {email}.") if user.manager else _("Added {role} {email}.")
    message(added.format(role=label("role", user.role), email=user.email))
    output.one(user)


@users.command("update")
@click.argument("email")
@click.option("--manager/--no-manager", default=None,
              help="Make a customer their organisation's contact manager, or no longer.")
@click.option("--country", metavar="CC", help='ISO country code, e.g. CO ("" clears it).')
@output_options(USER_COLUMNS)
def users_update(email: str, manager: bool | None, country: str | None, output: Output) -> None:
    """Change a user's contact-manager flag or country.

    \b
    Example:
      portalctl admin users update marta@andina.example --manager --country CO
    """
    if manager is None and country is None:
        raise click.UsageError(_("pass --manager, --no-manager or --country"))
    output.one(app().client.portal_accounts.update_user(email, manager=manager, country=country))


@users.command("deactivate")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def users_deactivate(email: str, yes: bool) -> None:
    """Stop someone acting on the portal; their tickets and messages are kept.

    \b
    Example:
      portalctl admin users deactivate bob@acme.example --yes
    """
    app().confirm(_("Deactivate {email}?").format(email=email), yes)
    app().client.accounts.set_active(email, False)
    message(_("Deactivated {email}; their history is kept.").format(email=email))


@users.command("reactivate")
@click.argument("email")
def users_reactivate(email: str) -> None:
    """Let a deactivated user act again.

    \b
    Example:
      portalctl admin users reactivate bob@acme.example
    """
    app().client.accounts.set_active(email, True)
    message(_("Reactivated {email}.").format(email=email))


@users.command("reset-password")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def users_reset_password(email: str, yes: bool) -> None:
    """Set a temporary password the user must change, and print it once (share it privately).

    \b
    Example:
      portalctl admin users reset-password ana@acme.example --yes
    """
    app().confirm(_("Replace the password of {email}?").format(email=email), yes)
    temporary = app().client.accounts.reset_password(email)
    message(_("Temporary password for {email} (shown once; they must change it at next sign-in):").format(email=email))
    app().io.echo(temporary)


# --- organisations
@admin.group()
def orgs() -> None:
    """Client companies (organisations)."""


@orgs.command("list")
@output_options(ORG_COLUMNS)
def orgs_list(output: Output) -> None:
    """List organisations.

    \b
    Example:
      portalctl admin orgs list -o json
    """
    output.many(app().client.accounts.organizations())


@orgs.command("add")
@click.argument("name")
@click.option("--shared-tickets", is_flag=True, help="Its users see all of the organisation's tickets.")
@click.option("--timezone", help="IANA timezone of its business calendar (default: the portal's).")
@click.option("--business-hours", metavar="SPEC", help='Working hours, e.g. "mon-fri 08:00-17:00; sat 09:00-12:00".')
@click.option("--holiday", "holidays", multiple=True, metavar="YYYY-MM-DD", help="A day off (repeatable).")
@click.option("--resolution-hours", type=POSITIVE, help="Business hours to resolve (default 24).")
@click.option("--country", metavar="CC", help="ISO country code, e.g. CO: its users' country for notices.")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN",
              help="An e-mail domain whose sign-ups land here, e.g. andina.example (repeatable).")
@output_options(ORG_COLUMNS)
def orgs_add(name: str, shared_tickets: bool, timezone: str | None, business_hours: str | None,
             holidays: tuple[str, ...], resolution_hours: int | None, country: str | None,
             domains: tuple[str, ...], output: Output) -> None:
    """Add a client company with its business calendar.

    \b
    Examples:
      portalctl admin orgs add "Acme Logistics" --timezone Europe/Madrid --business-hours "mon-fri 08:00-16:00"
      portalctl admin orgs add "Importadora Andina" --domain andina.example --country CO
    """
    options = {"shared_tickets": shared_tickets, "timezone": timezone, "business_hours": business_hours,
               "holidays": list(holidays), "resolution_hours": resolution_hours}
    client = app().client
    if country or domains:  # a portalctl portal's own: a help desk refuses them by name
        accounts = client.portal_accounts
        options.update(country=country, domains=list(domains))
    else:
        accounts = client.accounts
    org = accounts.add_organization(name=name, **options)
    message(_("Added organisation {slug}.").format(slug=org.slug))
    output.one(org)


@orgs.command("update")
@click.argument("name")
@click.option("--country", metavar="CC", help='ISO country code, e.g. CO ("" clears it).')
@click.option("--domain", "add_domains", multiple=True, metavar="DOMAIN",
              help="Map an e-mail domain to it: sign-ups from it land here (repeatable).")
@click.option("--remove-domain", "remove_domains", multiple=True, metavar="DOMAIN", help="Unmap a domain.")
@output_options(ORG_COLUMNS)
def orgs_update(name: str, country: str | None, add_domains: tuple[str, ...], remove_domains: tuple[str, ...],
                output: Output) -> None:
    """Change an organisation's country or e-mail domains.

    \b
    Example:
      portalctl admin orgs update importadora-andina --domain andina.example --country CO
    """
    if country is None and not add_domains and not remove_domains:
        raise click.UsageError(_("pass --country, --domain or --remove-domain"))
    output.one(app().client.portal_accounts.update_organization(
        name, country=country, add_domains=add_domains, remove_domains=remove_domains))


# --- departments
@admin.group()
def departments() -> None:
    """Departments (queues) tickets go to."""


@departments.command("list")
@output_options(DEPARTMENT_COLUMNS)
def departments_list(output: Output) -> None:
    """List departments.

    \b
    Example:
      portalctl admin departments list
    """
    output.many(app().client.accounts.departments())


@departments.command("add")
@click.argument("name")
@click.option("--description")
@output_options(DEPARTMENT_COLUMNS)
def departments_add(name: str, description: str | None, output: Output) -> None:
    """Add a department.

    \b
    Example:
      portalctl admin departments add "Soporte Moodle" --description "Cursos, certificados"
    """
    department = app().client.accounts.add_department(name=name, description=description)
    message(_("Added department {slug}.").format(slug=department.slug))
    output.one(department)


# --- custom fields
@admin.group()
def fields() -> None:
    """Custom ticket fields: type, required, choices, pattern, customer-editable."""


@fields.command("list")
@click.option("--department", metavar="NAME", help="Fields that apply in this department.")
@output_options(FIELD_COLUMNS)
def fields_list(department: str | None, output: Output) -> None:
    """List custom field definitions.

    \b
    Example:
      portalctl admin fields list --department importaciones
    """
    output.many(app().client.accounts.field_defs(department=department))


@fields.command("add")
@click.argument("key")
@click.option("--label", help="What people see (default: the key).")
@click.option("--type", "type_", type=click.Choice(FIELD_TYPES), default="text", show_default=True)
@click.option("--required", is_flag=True, help="Tickets cannot be opened without it.")
@click.option("--choice", "choices", multiple=True, help="An allowed value (repeatable; choice types).")
@click.option("--pattern", help=r"A regular expression the whole value must match, e.g. '\d{4}'.")
@click.option("--locked", is_flag=True, help="Customers may not edit it after opening the ticket.")
@click.option("--department", metavar="NAME", help="Only for tickets of this department.")
@click.option("--description", help="Help shown when a value is wrong.")
@output_options(FIELD_COLUMNS)
def fields_add(key: str, label: str | None, type_: str, required: bool, choices: tuple[str, ...],
               pattern: str | None, locked: bool, department: str | None, description: str | None,
               output: Output) -> None:
    """Define a custom ticket field.

    \b
    Examples:
      portalctl admin fields add user_code --label "Código de usuario" --pattern '\\d{4}' --required
      portalctl admin fields add country --type choice --choice CO --choice MX --locked
    """
    definition = FieldDef(key=key, label=label or key, type=type_, required=required, choices=list(choices),
                          pattern=pattern, customer_editable=not locked, department=department,
                          description=description)
    output.one(app().client.accounts.add_field(definition))
    message(_("Defined field {key}.").format(key=key))


admin.add_command(admin_articles)
admin.add_command(admin_notices)
admin.add_command(admin_signup)
