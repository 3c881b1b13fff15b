;;; WaltzDB, CLIPS 6.30 version for the Advise classic benchmarks.
;;;
;;; The problem (Brant et al., VLDB 1991, "Effects of database size on rule
;;; system performance"): the Waltz line labelling of waltz.clp reformulated
;;; for a database.  The junction catalogue is data (`label` facts: for each
;;; junction kind, every legal assignment of + - B to its edges) instead of
;;; one rule per case, and every junction is visited in turn:
;;;
;;;   labeling     pick an unvisited junction and mark it `now` (3-edge and
;;;                2-edge junctions have the same priority: the agenda's
;;;                depth order decides which comes next)
;;;   visiting_3j  give the `now` junction every catalogue labelling that
;;;   visiting_2j  agrees with the labels its already-visited neighbours gave
;;;                the shared edges (an `edge_label` fact per edge, label and
;;;                labelling id); one rule per pattern of which neighbours
;;;                have labelled their side yet
;;;   marking      the visited neighbours of the `now` junction must be
;;;                checked again: mark them `check`; the `now` junction
;;;                becomes `yes`
;;;   checking     a labelling of a `check` junction with no agreeing label on
;;;   remove_label the other side of some edge is illegal: remove it (its
;;;                edge_label facts), and check again; when nothing is
;;;                illegal any more the junction is `yes`
;;;   printing     every junction visited: stop
;;;
;;; The preceding phases (duplicate, detect_junctions, the two boundary
;;; phases) are those of waltz.clp, except that the boundary junctions get
;;; edge_label facts (labelling 1 for an L, 14 for an arrow).
;;;
;;; Priorities emulate the OPS5 program's conflict resolution where the
;;; firing counts depend on it: a rule that closes a phase has a lower
;;; salience than the rules doing the phase's work.  Within a salience, CLIPS's
;;; default `depth` strategy fires the most recent activation first.
;;;
;;; Points are integers x * 100 + y.  After (run), the driver calls
;;; bench-answer: one line "EDGE_LABEL p1 p2 label id" per edge_label left.

;;; ---------------------------------------------------------------- templates

(deftemplate stage
   (slot value))

;; Input: an undirected line between two points.
(deftemplate line
   (slot p1)
   (slot p2))

;; Input: one legal labelling `id` of a junction kind `name` (L, fork, tee,
;; arrow; `type` 2j or 3j): the labels n1 n2 (n3) of its edges p1 p2 (p3).
(deftemplate label
   (slot type)
   (slot name)
   (slot id)
   (slot n1)
   (slot n2)
   (slot n3))

;; A directed edge from p1 to p2; `joined` once part of a junction, whose
;; type (2j or 3j) it then records.
(deftemplate edge
   (slot p1)
   (slot p2)
   (slot joined)
   (slot type))

;; The junction at base_point, with edges to p1 p2 (p3): type 2j or 3j, name
;; L, fork, tee or arrow (for an arrow p2 is the shaft).  visited: no, now,
;; check or yes.
(deftemplate junction
   (slot p1)
   (slot p2)
   (slot p3)
   (slot base_point)
   (slot type)
   (slot name)
   (slot visited))

;; Labelling l_id of the junction at p1 gives the edge p1 -> p2 label l_name.
(deftemplate edge_label
   (slot p1)
   (slot p2)
   (slot l_name)
   (slot l_id))

;; Labelling l_id of the junction at bp was found illegal.
(deftemplate illegal
   (slot bp)
   (slot l_id))

;;; ----------------------------------------------------------------- geometry
;;; (as in waltz.clp; here the function returns the junction's name and edges)

(defglobal ?*point-scale* = 100)

(deffunction point-x (?p) (div ?p ?*point-scale*))
(deffunction point-y (?p) (mod ?p ?*point-scale*))

;; Angle of the direction from point ?from to point ?to, in radians.
(deffunction direction (?from ?to)
   (bind ?dx (- (point-x ?to) (point-x ?from)))
   (bind ?dy (- (point-y ?to) (point-y ?from)))
   (if (= ?dx 0) then
      (if (> ?dy 0) then (return (/ (pi) 2)))
      (if (< ?dy 0) then (return (/ (pi) -2)))
      (return 0.0))
   (if (= ?dy 0) then
      (if (> ?dx 0) then (return 0.0) else (return (pi))))
   (bind ?a (atan (/ ?dy ?dx)))
   (if (< ?dx 0) then
      (if (> ?dy 0) then (return (+ ?a (pi))) else (return (- ?a (pi)))))
   ?a)

;; The (smaller) angle at ?base between the edges to ?p and to ?q, in [0, pi].
(deffunction angle-between (?base ?p ?q)
   (bind ?d (abs (- (direction ?base ?p) (direction ?base ?q))))
   (if (> ?d (pi)) then (bind ?d (- (* 2 (pi)) ?d)))
   (abs ?d))

;; Classify the three-edge junction at ?base with edges to ?p1 ?p2 ?p3:
;; returns (name barb1 shaft barb2).  The shaft is the edge whose angles with
;; the two others sum least; a sum of pi makes a tee, more a fork, less an
;; arrow.
(deffunction classify-3-junction (?base ?p1 ?p2 ?p3)
   (bind ?a12 (angle-between ?base ?p1 ?p2))
   (bind ?a13 (angle-between ?base ?p1 ?p3))
   (bind ?a23 (angle-between ?base ?p2 ?p3))
   (bind ?s1 (+ ?a12 ?a13))              ; shaft p1
   (bind ?s2 (+ ?a12 ?a23))              ; shaft p2
   (bind ?s3 (+ ?a13 ?a23))              ; shaft p3
   (if (and (< ?s1 ?s2) (< ?s1 ?s3)) then
      (bind ?sum ?s1) (bind ?edges (create$ ?p2 ?p1 ?p3))
    else
      (if (and (>= ?s1 ?s2) (< ?s2 ?s3)) then
         (bind ?sum ?s2) (bind ?edges (create$ ?p1 ?p2 ?p3))
       else
         (bind ?sum ?s3) (bind ?edges (create$ ?p1 ?p3 ?p2))))
   (if (< (abs (- ?sum (pi))) 0.001) then
      (bind ?name tee)
    else
      (if (> ?sum (pi)) then (bind ?name fork) else (bind ?name arrow)))
   (create$ ?name ?edges))

;;; ---------------------------------------------------- duplicate the lines

;; Replace each line by its two directed edges.
(defrule reverse_edges
   (stage (value duplicate))
   ?l <- (line (p1 ?a) (p2 ?b))
   =>
   (assert (edge (p1 ?a) (p2 ?b) (joined false)))
   (assert (edge (p1 ?b) (p2 ?a) (joined false)))
   (retract ?l))

;; No line left: go and find the junctions.
(defrule done_reversing
   (declare (salience -10))
   ?s <- (stage (value duplicate))
   (not (line))
   =>
   (modify ?s (value detect_junctions)))

;;; ------------------------------------------------------- detect junctions

;; Three unjoined edges leave the same point: a 3-edge junction, named by
;; its angles; the edges are joined.
(defrule make_3_junction
   (declare (salience 10))
   (stage (value detect_junctions))
   ?e1 <- (edge (p1 ?base) (p2 ?p1) (joined false))
   ?e2 <- (edge (p1 ?base) (p2 ?p2&~?p1) (joined false))
   ?e3 <- (edge (p1 ?base) (p2 ?p3&~?p1&~?p2) (joined false))
   =>
   (bind ?j (classify-3-junction ?base ?p1 ?p2 ?p3))
   (assert (junction (type 3j) (name (nth$ 1 ?j)) (base_point ?base)
                     (p1 (nth$ 2 ?j)) (p2 (nth$ 3 ?j)) (p3 (nth$ 4 ?j))
                     (visited no)))
   (modify ?e1 (type 3j) (joined true))
   (modify ?e2 (type 3j) (joined true))
   (modify ?e3 (type 3j) (joined true)))

;; Exactly two edges leave a point: an L.
(defrule make_L
   (stage (value detect_junctions))
   ?e1 <- (edge (p1 ?base) (p2 ?p1) (joined false))
   ?e2 <- (edge (p1 ?base) (p2 ?p2&~?p1) (joined false))
   (not (edge (p1 ?base) (p2 ~?p1&~?p2)))
   =>
   (assert (junction (type 2j) (name L) (base_point ?base) (p1 ?p1) (p2 ?p2)
                     (visited no)))
   (modify ?e1 (type 2j) (joined true))
   (modify ?e2 (type 2j) (joined true)))

;; Every edge is in a junction: look for the boundary.
(defrule done_detecting
   (declare (salience -10))
   ?s <- (stage (value detect_junctions))
   (not (edge (joined false)))
   =>
   (modify ?s (value find_initial_boundary)))

;;; ---------------------------------------------------------- the boundary

;; The junction with the largest base point is on the outer boundary: an L
;; gets labelling 1 (B B), an arrow labelling 14 (B + B).  It is visited.
(defrule initial_boundary_junction_L
   ?s <- (stage (value find_initial_boundary))
   ?j <- (junction (type 2j) (base_point ?base) (p1 ?p1) (p2 ?p2))
   (edge (p1 ?base) (p2 ?p1))
   (edge (p1 ?base) (p2 ?p2))
   (not (junction (base_point ?other&:(> ?other ?base))))
   =>
   (modify ?j (visited yes))
   (assert (edge_label (p1 ?base) (p2 ?p1) (l_name B) (l_id 1)))
   (assert (edge_label (p1 ?base) (p2 ?p2) (l_name B) (l_id 1)))
   (modify ?s (value find_second_boundary)))

(defrule initial_boundary_junction_arrow
   ?s <- (stage (value find_initial_boundary))
   ?j <- (junction (type 3j) (name arrow) (base_point ?base)
                   (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1))
   (edge (p1 ?base) (p2 ?p2))
   (edge (p1 ?base) (p2 ?p3))
   (not (junction (base_point ?other&:(> ?other ?base))))
   =>
   (modify ?j (visited yes))
   (assert (edge_label (p1 ?base) (p2 ?p1) (l_name B) (l_id 14)))
   (assert (edge_label (p1 ?base) (p2 ?p2) (l_name +) (l_id 14)))
   (assert (edge_label (p1 ?base) (p2 ?p3) (l_name B) (l_id 14)))
   (modify ?s (value find_second_boundary)))

;; Likewise the junction with the smallest base point; then label the rest.
(defrule second_boundary_junction_L
   ?s <- (stage (value find_second_boundary))
   ?j <- (junction (type 2j) (base_point ?base) (p1 ?p1) (p2 ?p2))
   (edge (p1 ?base) (p2 ?p1))
   (edge (p1 ?base) (p2 ?p2))
   (not (junction (base_point ?other&:(< ?other ?base))))
   =>
   (modify ?j (visited yes))
   (assert (edge_label (p1 ?base) (p2 ?p1) (l_name B) (l_id 1)))
   (assert (edge_label (p1 ?base) (p2 ?p2) (l_name B) (l_id 1)))
   (modify ?s (value labeling)))

(defrule second_boundary_junction_arrow
   ?s <- (stage (value find_second_boundary))
   ?j <- (junction (type 3j) (name arrow) (base_point ?base)
                   (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1))
   (edge (p1 ?base) (p2 ?p2))
   (edge (p1 ?base) (p2 ?p3))
   (not (junction (base_point ?other&:(< ?other ?base))))
   =>
   (modify ?j (visited yes))
   (assert (edge_label (p1 ?base) (p2 ?p1) (l_name B) (l_id 14)))
   (assert (edge_label (p1 ?base) (p2 ?p2) (l_name +) (l_id 14)))
   (assert (edge_label (p1 ?base) (p2 ?p3) (l_name B) (l_id 14)))
   (modify ?s (value labeling)))

;;; ------------------------------------------------- visit a 3-edge junction

;; Pick an unvisited 3-edge junction.
(defrule start_visit_3_junction
   ?s <- (stage (value labeling))
   ?j <- (junction (type 3j) (visited no))
   =>
   (modify ?s (value visiting_3j))
   (modify ?j (visited now)))

;; visit_3j_K: labelling ?id of the junction's kind is possible if, for each
;; edge bp -> pI, the neighbour at pI has either labelled its side pI -> bp
;; with the same label nI, or not labelled it at all.  The eight rules are the
;; eight patterns of present (P) and absent (-) neighbour labels on p1 p2 p3:
;;   0: P P P   1: - P P   2: P - P   3: - - P
;;   4: P P -   5: - P -   6: P - -   7: - - -
;; Each asserts the labelling's three edge_label facts, once per labelling
;; (the last condition).

(defrule visit_3j_0
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (edge_label (p1 ?p3) (p2 ?bp) (l_name ?n3))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_1
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (edge_label (p1 ?p3) (p2 ?bp) (l_name ?n3))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_2
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (edge_label (p1 ?p3) (p2 ?bp) (l_name ?n3))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_3
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (edge_label (p1 ?p3) (p2 ?bp) (l_name ?n3))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_4
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (not (edge_label (p1 ?p3) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_5
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (not (edge_label (p1 ?p3) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_6
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (not (edge_label (p1 ?p3) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

(defrule visit_3j_7
   (stage (value visiting_3j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3)
             (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2) (n3 ?n3))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (not (edge_label (p1 ?p3) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p3) (l_name ?n3) (l_id ?id))))

;;; ------------------------------------------------- visit a 2-edge junction

;; Pick an unvisited L.
(defrule start_visit_2_junction
   ?s <- (stage (value labeling))
   ?j <- (junction (type 2j) (visited no))
   =>
   (modify ?s (value visiting_2j))
   (modify ?j (visited now)))

;; visit_2j_K: as visit_3j_K for two edges:
;;   0: P P   1: - P   2: P -   3: - -
(defrule visit_2j_0
   (stage (value visiting_2j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id))))

(defrule visit_2j_1
   (stage (value visiting_2j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (edge_label (p1 ?p2) (p2 ?bp) (l_name ?n2))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id))))

(defrule visit_2j_2
   (stage (value visiting_2j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2))
   (edge_label (p1 ?p1) (p2 ?bp) (l_name ?n1))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id))))

(defrule visit_2j_3
   (stage (value visiting_2j))
   (junction (name ?kind) (base_point ?bp) (p1 ?p1) (p2 ?p2) (visited now))
   (label (name ?kind) (id ?id) (n1 ?n1) (n2 ?n2))
   (not (edge_label (p1 ?p1) (p2 ?bp)))
   (not (edge_label (p1 ?p2) (p2 ?bp)))
   (not (edge_label (p1 ?bp) (l_id ?id)))
   =>
   (assert (edge_label (p1 ?bp) (p2 ?p1) (l_name ?n1) (l_id ?id)))
   (assert (edge_label (p1 ?bp) (p2 ?p2) (l_name ?n2) (l_id ?id))))

;; Every possible labelling of the `now` junction is asserted: go and mark
;; its neighbours.
(defrule end_visit
   (declare (salience -10))
   ?s <- (stage (value visiting_3j|visiting_2j))
   (junction (visited now))
   =>
   (modify ?s (value marking)))

;;; ---------------------------------------------------------------- marking

;; A visited neighbour of the `now` junction (its edge ends at the `now`
;; base point) must have its labellings checked again.
(defrule marking
   (stage (value marking))
   (junction (base_point ?bp) (visited now))
   (edge (p1 ?p) (p2 ?bp))
   ?n <- (junction (base_point ?p) (visited yes))
   =>
   (modify ?n (visited check)))

;; All neighbours marked: the `now` junction is visited.
(defrule stop_marking
   (declare (salience -10))
   (stage (value marking))
   ?j <- (junction (visited now))
   =>
   (modify ?j (visited yes)))

;; Then check.
(defrule start_checking
   (declare (salience -20))
   ?s <- (stage (value marking))
   =>
   (modify ?s (value checking)))

;;; --------------------------------------------------------------- checking

;; A labelling ?id of a junction to check gives edge bp -> p a label that the
;; visited neighbour at p gives to none of its labellings of p -> bp:
;; the labelling is illegal.
(defrule checking
   ?s <- (stage (value checking))
   (junction (base_point ?bp) (visited check))
   (edge_label (p1 ?bp) (p2 ?p) (l_name ?lab) (l_id ?id))
   (junction (base_point ?p) (visited yes))
   (not (edge_label (p1 ?p) (p2 ?bp) (l_name ?lab)))
   =>
   (modify ?s (value remove_label))
   (assert (illegal (bp ?bp) (l_id ?id))))

;; Remove an illegal labelling of a 3-edge junction (its three edge labels),
;; then check again.
(defrule remove_label_3j
   ?s <- (stage (value remove_label))
   ?i <- (illegal (bp ?bp) (l_id ?id))
   (junction (type 3j) (base_point ?bp) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   ?l1 <- (edge_label (p1 ?bp) (p2 ?p1) (l_id ?id))
   ?l2 <- (edge_label (p1 ?bp) (p2 ?p2) (l_id ?id))
   ?l3 <- (edge_label (p1 ?bp) (p2 ?p3) (l_id ?id))
   =>
   (modify ?s (value checking))
   (retract ?i ?l1 ?l2 ?l3))

;; Likewise for an L.
(defrule remove_edge_2j
   ?s <- (stage (value remove_label))
   ?i <- (illegal (bp ?bp) (l_id ?id))
   (junction (type 2j) (base_point ?bp) (p1 ?p1) (p2 ?p2))
   ?l1 <- (edge_label (p1 ?bp) (p2 ?p1) (l_id ?id))
   ?l2 <- (edge_label (p1 ?bp) (p2 ?p2) (l_id ?id))
   =>
   (modify ?s (value checking))
   (retract ?i ?l1 ?l2))

;; No illegal labelling left on a junction to check: it is visited again.
(defrule checking2
   (declare (salience -10))
   (stage (value checking))
   ?j <- (junction (visited check))
   =>
   (modify ?j (visited yes)))

;; Everything checked: visit the next junction.
(defrule stop_checking
   (declare (salience -20))
   ?s <- (stage (value checking))
   =>
   (modify ?s (value labeling)))

;;; ------------------------------------------------------------------- done

;; No unvisited junction left.
(defrule done_labeling
   (declare (salience -10))
   ?s <- (stage (value labeling))
   =>
   (modify ?s (value printing)))

(defrule done
   (stage (value printing))
   =>
   (halt))

;;; ----------------------------------------------------------------- answer

;; Called by the driver after (run) with --answer: every edge label left.
(deffunction bench-answer ()
   (do-for-all-facts ((?l edge_label)) TRUE
      (printout t "EDGE_LABEL " ?l:p1 " " ?l:p2 " " ?l:l_name " " ?l:l_id crlf)))
