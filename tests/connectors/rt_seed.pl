# What the RT connector tests expect in a fresh RT (scripts/rt.sh start), made with RT's own Perl API because
# REST2 in RT 5.0 cannot create custom fields: a one-line custom field user_code on the General queue, and a second
# queue. Run with RT_SITE_CONFIG / RT_SITE_CONFIG_DIR of the instance; running it again changes nothing.
use strict;
use warnings;
use utf8;
use RT;

RT::LoadConfig();
RT::Init();

my $general = RT::Queue->new(RT->SystemUser);
$general->Load('General') or die "no General queue\n";

my $billing = RT::Queue->new(RT->SystemUser);
unless ($billing->Load('Facturación')) {
    my ($id, $msg) = $billing->Create(Name => 'Facturación', Description => 'Facturas y pagos');
    die "queue: $msg\n" unless $id;
}

my $field = RT::CustomField->new(RT->SystemUser);
unless ($field->LoadByName(Name => 'user_code', LookupType => RT::Ticket->CustomFieldLookupType)) {
    my ($id, $msg) = $field->Create(Name => 'user_code', Type => 'FreeformSingle', Description => 'Código de usuario',
                                    LookupType => RT::Ticket->CustomFieldLookupType);
    die "custom field: $msg\n" unless $id;
}
unless ($field->IsAdded($general->id)) {
    my ($ok, $msg) = $field->AddToObject($general);
    die "custom field on General: $msg\n" unless $ok;
}
# An agent with rights on General only (no SuperUser, no global ShowTicket): REST2 counts no totals for such a user.
my $agent = RT::User->new(RT->SystemUser);
unless ($agent->Load('agente')) {
    my ($id, $msg) = $agent->Create(Name => 'agente', EmailAddress => 'agente@rt.test', RealName => 'Agente Soporte',
                                    Privileged => 1, Password => 'agente-password');
    die "agent: $msg\n" unless $id;
    for my $right (qw(SeeQueue ShowTicket CreateTicket ReplyToTicket CommentOnTicket ShowTicketComments ModifyTicket
                      OwnTicket Watch WatchAsAdminCc SeeCustomField ModifyCustomField)) {
        my ($ok, $why) = $agent->PrincipalObj->GrantRight(Right => $right, Object => $general);
        die "right $right: $why\n" unless $ok;
    }
}
print "seeded\n";
