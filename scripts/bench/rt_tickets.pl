# Make COUNT tickets in a Request Tracker (scripts/rt.sh's instance: RT_SITE_CONFIG and RT_SITE_CONFIG_DIR set) with
# RT's own Perl API, in one database transaction: ~20x faster than REST2, one ticket at a time, and each ticket is
# what RT itself makes (role groups, a Create transaction). Prints how long it took.
#   perl -I/usr/share/request-tracker5/lib scripts/bench/rt_tickets.pl COUNT
use strict;
use warnings;
use utf8;
use RT;
use Time::HiRes qw(time);

RT::LoadConfig();
RT::Init();
my $count = shift // die "usage: $0 COUNT\n";
my $started = time;
my $db = RT->DatabaseHandle;
$db->BeginTransaction;
for my $n (1 .. $count) {
    my ($id, undef, $msg) = RT::Ticket->new(RT->SystemUser)->Create(
        Queue => 'General', Subject => "Caso $n: factura rechazada", Requestor => ["cliente" . ($n % 50) . "\@cliente.test"],
        Priority => ($n % 5) * 25, Status => ('new', 'open', 'resolved')[$n % 3]);
    die "ticket $n: $msg\n" unless $id;
}
$db->Commit;
printf "%.1f\n", time - $started;
