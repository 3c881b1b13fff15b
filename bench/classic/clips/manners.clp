;;; Miss Manners, CLIPS 6.30 version for the Advise classic benchmarks.
;;;
;;; The problem (Brant et al., VLDB 1991, after the OPS5 program of the
;;; University of Texas suite): seat the guests of a dinner party round a
;;; table so that every guest sits between two guests of the other sex and
;;; shares at least one hobby with the guest on the left.  The program searches
;;; depth first: every partial seating is a `seating` fact with an id; a new
;;; seating extends its parent (pid) by one guest, and the `path` facts of a
;;; seating list everybody seated so far, so that nobody is seated twice.
;;;
;;; The control flow is a state machine held in the single `context` fact:
;;;   start -> assign_seats -> make_path -> check_done -> assign_seats ...
;;;                                                    \-> print_results
;;; Rule firing counts depend on the conflict resolution order: these rules are
;;; meant for CLIPS's default `depth` strategy, where the most recent activation
;;; fires first (the data file is loaded with load-facts, in file order).
;;;
;;; The driver (run.sh) sets ?*output* to t to print the final seating
;;; ("SEAT <seat> <name>", one line per guest); by default nothing is printed.

(defglobal ?*output* = nil)

;;; ---------------------------------------------------------------- templates

;; Input: one fact per (guest, hobby) pair.
(deftemplate guest
   (slot name)
   (slot sex)
   (slot hobby))

;; Input: how many seats the table has.
(deftemplate last_seat
   (slot seat))

;; Input: the next free seating id (starts at 1).
(deftemplate count
   (slot c))

;; Input/state: the phase of the search (start at `start`).
(deftemplate context
   (slot state))

;; A partial seating: guest name2 now sits in seat2, to the right of name1 in
;; seat1.  `id` names this partial seating, `pid` the one it extends.
;; path_done says whether the path facts of this seating are all copied.
(deftemplate seating
   (slot seat1)
   (slot name1)
   (slot name2)
   (slot seat2)
   (slot id)
   (slot pid)
   (slot path_done))

;; Guest `name` sits in seat `seat` in partial seating `id`.
(deftemplate path
   (slot id)
   (slot name)
   (slot seat))

;; Guest `name` was already tried, through hobby `hobby`, as the successor in
;; partial seating `id` (so that the search does not try it again).
(deftemplate chosen
   (slot id)
   (slot name)
   (slot hobby))

;;; -------------------------------------------------------------------- rules

;; Start: put any guest in seat 1.  This makes seating 1 (already complete:
;; path_done yes) and its one path fact, then moves on to assigning seats.
(defrule assign_first_seat
   ?ctx <- (context (state start))
   (guest (name ?who))
   ?cnt <- (count (c ?next))
   =>
   (assert (seating (seat1 1) (name1 ?who) (name2 ?who) (seat2 1)
                    (id ?next) (pid 0) (path_done yes)))
   (assert (path (id ?next) (name ?who) (seat 1)))
   (modify ?cnt (c (+ ?next 1)))
   (modify ?ctx (state assign_seats)))

;; Extend a complete seating by one guest: the guest in the last seat (?left)
;; and a guest of the other sex sharing a hobby with it, who is not yet seated
;; in that seating and was not already tried there with this hobby.
;; The new seating copies nothing yet (path_done no): make_path does that.
(defrule find_seating
   ?ctx <- (context (state assign_seats))
   (seating (seat1 ?s1) (seat2 ?s2) (name2 ?left) (id ?id) (pid ?pid)
            (path_done yes))
   (guest (name ?left) (sex ?sex) (hobby ?hobby))
   (guest (name ?right) (sex ~?sex) (hobby ?hobby))
   ?cnt <- (count (c ?next))
   (not (path (id ?id) (name ?right)))
   (not (chosen (id ?id) (name ?right) (hobby ?hobby)))
   =>
   (assert (seating (seat1 ?s2) (name1 ?left) (name2 ?right) (seat2 (+ ?s2 1))
                    (id ?next) (pid ?id) (path_done no)))
   (assert (path (id ?next) (name ?right) (seat (+ ?s2 1))))
   (assert (chosen (id ?id) (name ?right) (hobby ?hobby)))
   (modify ?cnt (c (+ ?next 1)))
   (modify ?ctx (state make_path)))

;; Copy one path fact of the parent seating into the new seating, unless the
;; new seating already has that guest.  Fires once per guest already seated.
(defrule make_path
   (context (state make_path))
   (seating (id ?id) (pid ?pid) (path_done no))
   (path (id ?pid) (name ?who) (seat ?seat))
   (not (path (id ?id) (name ?who)))
   =>
   (assert (path (id ?id) (name ?who) (seat ?seat))))

;; When no path is left to copy (make_path has priority by recency), the new
;; seating is complete: mark it and go and check whether the table is full.
(defrule path_done
   ?ctx <- (context (state make_path))
   ?st <- (seating (path_done no))
   =>
   (modify ?st (path_done yes))
   (modify ?ctx (state check_done)))

;; The table is full when some seating reaches the last seat.
(defrule are_we_done
   ?ctx <- (context (state check_done))
   (last_seat (seat ?last))
   (seating (seat2 ?last))
   =>
   (modify ?ctx (state print_results)))

;; Otherwise (are_we_done is more recent, so it wins when it matches) go on
;; seating guests.
(defrule continue
   ?ctx <- (context (state check_done))
   =>
   (modify ?ctx (state assign_seats)))

;; Print (and consume) the path facts of the full seating: one per guest.
(defrule print_results
   (context (state print_results))
   (seating (id ?id) (seat2 ?last))
   (last_seat (seat ?last))
   ?p <- (path (id ?id) (name ?who) (seat ?seat))
   =>
   (retract ?p)
   (printout ?*output* "SEAT " ?seat " " ?who crlf))

;; Once everything is printed, stop.
(defrule all_done
   (context (state print_results))
   =>
   (halt))

;; Called by the driver after (run) with --answer: Manners prints its answer
;; while it runs (print_results), so there is nothing left to print.
(deffunction bench-answer ())
