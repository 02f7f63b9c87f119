"""Seccomp filters for the sandbox, built with Debian's python3-seccomp (libseccomp).

Two filters, both deny-lists over an allow-by-default base:
  * the *kernel surface* filter, handed to bubblewrap (`--seccomp FD`), removes
    syscalls a data transform never needs and that widen the kernel attack
    surface (ptrace, bpf, io_uring, mount family, namespaces, keyrings, ...);
  * the *job* filter, installed by runner.py after its imports and before user
    code, adds what the runner itself no longer needs: process creation, exec,
    sockets, anonymous memory files, and signals or resource changes aimed at
    any other process.

Run as a script, it writes the kernel surface filter as BPF to the given path.
"""

import errno
import os
import sys

import seccomp

_EPERM = seccomp.ERRNO(errno.EPERM)
# clone3 passes its flags in memory that seccomp cannot read; ENOSYS makes glibc
# fall back to clone, whose flags the rules below can inspect.
_ENOSYS = seccomp.ERRNO(errno.ENOSYS)

_CLONE_THREAD = 0x00010000
_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C

KERNEL_SURFACE = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "acct", "swapon", "swapoff", "reboot", "syslog", "quotactl", "quotactl_fd",
    "lookup_dcookie", "name_to_handle_at", "open_by_handle_at", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "vhangup",
    "modify_ldt", "uselib", "personality", "fanotify_init", "mbind", "set_mempolicy",
    "migrate_pages", "move_pages",
)

PROCESS_AND_NETWORK = (
    "execve", "execveat", "fork", "vfork", "socket", "tkill", "pidfd_open",
    "pidfd_send_signal",
    # Anonymous files hold RAM outside RLIMIT_AS and the scratch cap.
    "memfd_create", "memfd_secret",
)


def _add(flt, action, name, *args):
    try:
        flt.add_rule(action, name, *args)
    except (RuntimeError, ValueError, OSError):
        # A syscall this libseccomp or architecture does not know cannot be called either.
        pass


def _base():
    flt = seccomp.SyscallFilter(seccomp.ALLOW)
    # Syscalls through another ABI (int 0x80, x32) would skip every rule: kill instead.
    flt.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
    for name in KERNEL_SURFACE:
        _add(flt, _EPERM, name)
    _add(flt, _ENOSYS, "clone3")
    for flag in _NAMESPACE_FLAGS:
        _add(flt, _EPERM, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    for request in (_TIOCSTI, _TIOCLINUX):
        _add(flt, _EPERM, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    return flt


def kernel_surface_filter():
    return _base()


def job_filter(own_pid):
    flt = _base()
    for name in PROCESS_AND_NETWORK:
        _add(flt, _EPERM, name)
    # Threads are fine (pandas and BLAS use them); new processes are not.
    _add(flt, _EPERM, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        _add(flt, _EPERM, name, seccomp.Arg(0, seccomp.NE, own_pid))
    _add(flt, _EPERM, "prlimit64", seccomp.Arg(0, seccomp.NE, 0))
    # BLAS may have started threads already: the filter must cover all of them.
    flt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    return flt


def install_job_filter():
    job_filter(os.getpid()).load()


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as out:
        kernel_surface_filter().export_bpf(out)
