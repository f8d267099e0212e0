# shellcheck shell=bash
# lab-ssh.sh: a real sshd inside one lab namespace, for the peer channel
# (sourced after lab.sh and lab-vtundfix.sh).
#
#	labssh_start SIDE	sshd in SIDE's namespace on port 2222, whose only
#				authorized key is pinned to `vtundfix peer`
#	labssh_peer_command	a PEER_COMMAND that reaches it with that key
#
# Everything lives in LAB_DIR/ssh; the sshd dies with the namespace.

labssh_dir() { echo "$LAB_DIR/ssh"; }

labssh_start() {
	local side=$1 d ns addr i
	d=$(labssh_dir)
	ns=$(labfix_ns "$side")
	if [ "$side" = srv ]; then addr=$LAB_SERVER_IP; else addr=$LAB_CLIENT_IP; fi
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -C "vfx-lab-host" -f "$d/host_key" </dev/null >/dev/null
	ssh-keygen -q -t ed25519 -N '' -C "vfx-lab-peer" -f "$d/id_peer" </dev/null >/dev/null
	# The key may only run the peer server, exactly as the docs say.
	printf 'command="%s -f %s peer",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding %s\n' \
	    "$VTUNDFIX" "$(labfix_conf "$side")" "$(cat "$d/id_peer.pub")" \
	    >"$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	cat >"$d/sshd_config" <<CONF
Port 2222
ListenAddress $addr
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin forced-commands-only
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CONF
	printf '[%s]:2222 %s\n' "$addr" "$(cut -d' ' -f1,2 "$d/host_key.pub")" \
	    >"$d/known_hosts"
	cat >"$d/ssh_config" <<CONF
Host *
  Port 2222
  User root
  IdentityFile $d/id_peer
  IdentitiesOnly yes
  UserKnownHostsFile $d/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
CONF
	ip netns exec "$ns" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
	for ((i = 0; i < 50; i++)); do
		[ -s "$d/sshd.pid" ] && return 0
		sleep 0.1
	done
	echo "labssh: sshd did not start:" >&2
	cat "$d/sshd.log" >&2
	return 1
}

# The PEER_COMMAND value that reaches the lab's sshd (%h: the peer address).
labssh_peer_command() {
	echo "/usr/bin/ssh -F $(labssh_dir)/ssh_config %h vtundfix peer"
}
