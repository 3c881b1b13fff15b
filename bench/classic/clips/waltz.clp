;;; Waltz, CLIPS 6.30 version for the Advise classic benchmarks.
;;;
;;; The problem (Brant et al., VLDB 1991, after the OPS5 program of the
;;; University of Texas suite, itself after D. Waltz 1975): label the edges of
;;; a line drawing of blocks as convex (+), concave (-) or boundary (B) by
;;; constraint propagation over the junctions where lines meet.
;;;
;;; Phases, held in the single `stage` fact:
;;;   duplicate             every line becomes two directed edges
;;;   detect_junctions      edges meeting at a point become a junction
;;;                         (L with two edges; tee, fork or arrow with three,
;;;                         told apart by the angles between the edges)
;;;   find_initial_boundary the junction with the largest base point is on the
;;;                         outer boundary: label it
;;;   find_second_boundary  so is the one with the smallest base point
;;;   labeling              propagate labels through the junction catalogue
;;;   plot_remaining_edges  mark every edge plotted
;;;   done
;;; Priorities: phase changes have salience -10 (they fire when the phase has
;;; no work left), make-3_junction 10 (three-edge junctions are found before
;;; L's), and the "A" labelling rules 5.  Within a salience, CLIPS's default
;;; `depth` strategy fires the most recent activation first; the firing counts
;;; of expected/waltz_*.rules depend on that order.
;;;
;;; Points are integers x * 100 + y (the encoding of the original program).
;;; After (run), the driver calls bench-answer: one line "EDGE p1 p2 label"
;;; per directed edge (label nil when the edge could not be labelled).

;;; ---------------------------------------------------------------- templates

(deftemplate stage
   (slot value))

;; Input: an undirected line between two points.
(deftemplate line
   (slot p1)
   (slot p2))

;; A directed edge from p1 to p2.  `joined`: already part of a junction;
;; `label`: + - B or nil; `plotted`: nil until drawn.
(deftemplate edge
   (slot p1)
   (slot p2)
   (slot joined)
   (slot label)
   (slot plotted))

;; A junction at base_point whose edges go to p1, p2 (and p3).
;; For an arrow, p2 is the shaft and p1, p3 the barbs.
(deftemplate junction
   (slot p1)
   (slot p2)
   (slot p3)
   (slot base_point)
   (slot type))

;;; ----------------------------------------------------------------- geometry

(defglobal ?*point-scale* = 100)

(deffunction point-x (?p) (div ?p ?*point-scale*))
(deffunction point-y (?p) (mod ?p ?*point-scale*))

;; Angle of the direction from point ?from to point ?to, in radians.
;; Axis-parallel directions are exact; others go through the arctangent,
;; shifted into the right quadrant when dx < 0.
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

;; Classify the three-edge junction at ?base with edges to ?p1 ?p2 ?p3 and
;; assert it.  The shaft is the edge whose two angles with the others sum
;; least; if the sum is pi the junction is a tee, above pi a fork, below
;; pi an arrow.
(deffunction make-3-junction (?base ?p1 ?p2 ?p3)
   (bind ?a12 (angle-between ?base ?p1 ?p2))
   (bind ?a13 (angle-between ?base ?p1 ?p3))
   (bind ?a23 (angle-between ?base ?p2 ?p3))
   (bind ?s1 (+ ?a12 ?a13))              ; shaft p1
   (bind ?s2 (+ ?a12 ?a23))              ; shaft p2
   (bind ?s3 (+ ?a13 ?a23))              ; shaft p3
   (if (and (< ?s1 ?s2) (< ?s1 ?s3)) then
      (bind ?sum ?s1) (bind ?shaft ?p1) (bind ?b1 ?p2) (bind ?b2 ?p3)
    else
      (if (and (>= ?s1 ?s2) (< ?s2 ?s3)) then
         (bind ?sum ?s2) (bind ?shaft ?p2) (bind ?b1 ?p1) (bind ?b2 ?p3)
       else
         (bind ?sum ?s3) (bind ?shaft ?p3) (bind ?b1 ?p1) (bind ?b2 ?p2)))
   (if (< (abs (- ?sum (pi))) 0.001) then
      (bind ?type tee)
    else
      (if (> ?sum (pi)) then (bind ?type fork) else (bind ?type arrow)))
   (assert (junction (p1 ?b1) (p2 ?shaft) (p3 ?b2) (base_point ?base)
                     (type ?type))))

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

;; Three unjoined edges leave the same point: classify them (tee, fork or
;; arrow) and mark them joined.
(defrule make-3_junction
   (declare (salience 10))
   (stage (value detect_junctions))
   ?e1 <- (edge (p1 ?base) (p2 ?p1) (joined false))
   ?e2 <- (edge (p1 ?base) (p2 ?p2&~?p1) (joined false))
   ?e3 <- (edge (p1 ?base) (p2 ?p3&~?p1&~?p2) (joined false))
   =>
   (make-3-junction ?base ?p1 ?p2 ?p3)
   (modify ?e1 (joined true))
   (modify ?e2 (joined true))
   (modify ?e3 (joined true)))

;; Exactly two unjoined edges leave a point (no third edge there): an L.
(defrule make_L
   (stage (value detect_junctions))
   ?e1 <- (edge (p1 ?base) (p2 ?p1) (joined false))
   ?e2 <- (edge (p1 ?base) (p2 ?p2&~?p1) (joined false))
   (not (edge (p1 ?base) (p2 ~?p1&~?p2)))
   =>
   (assert (junction (type L) (base_point ?base) (p1 ?p1) (p2 ?p2)))
   (modify ?e1 (joined true))
   (modify ?e2 (joined true)))

;; Every edge is in a junction: look for the boundary.
(defrule done_detecting
   (declare (salience -10))
   ?s <- (stage (value detect_junctions))
   (not (edge (joined false)))
   =>
   (modify ?s (value find_initial_boundary)))

;;; ---------------------------------------------------------- the boundary

;; The junction with the largest base point is on the outer boundary.
;; If it is an L, both its edges are boundary edges.
(defrule initial_boundary_junction_L
   ?s <- (stage (value find_initial_boundary))
   (junction (type L) (base_point ?base) (p1 ?p1) (p2 ?p2))
   ?e1 <- (edge (p1 ?base) (p2 ?p1))
   ?e2 <- (edge (p1 ?base) (p2 ?p2))
   (not (junction (base_point ?other&:(> ?other ?base))))
   =>
   (modify ?e1 (label B))
   (modify ?e2 (label B))
   (modify ?s (value find_second_boundary)))

;; If it is an arrow, the barbs are boundary edges and the shaft is convex.
(defrule initial_boundary_junction_arrow
   ?s <- (stage (value find_initial_boundary))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   ?e1 <- (edge (p1 ?base) (p2 ?p1))
   ?e2 <- (edge (p1 ?base) (p2 ?p2))
   ?e3 <- (edge (p1 ?base) (p2 ?p3))
   (not (junction (base_point ?other&:(> ?other ?base))))
   =>
   (modify ?e1 (label B))
   (modify ?e2 (label +))
   (modify ?e3 (label B))
   (modify ?s (value find_second_boundary)))

;; Likewise for the junction with the smallest base point, then propagate.
(defrule second_boundary_junction_L
   ?s <- (stage (value find_second_boundary))
   (junction (type L) (base_point ?base) (p1 ?p1) (p2 ?p2))
   ?e1 <- (edge (p1 ?base) (p2 ?p1))
   ?e2 <- (edge (p1 ?base) (p2 ?p2))
   (not (junction (base_point ?other&:(< ?other ?base))))
   =>
   (modify ?e1 (label B))
   (modify ?e2 (label B))
   (modify ?s (value labeling)))

(defrule second_boundary_junction_arrow
   ?s <- (stage (value find_second_boundary))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   ?e1 <- (edge (p1 ?base) (p2 ?p1))
   ?e2 <- (edge (p1 ?base) (p2 ?p2))
   ?e3 <- (edge (p1 ?base) (p2 ?p3))
   (not (junction (base_point ?other&:(< ?other ?base))))
   =>
   (modify ?e1 (label B))
   (modify ?e2 (label +))
   (modify ?e3 (label B))
   (modify ?s (value labeling)))

;;; --------------------------------------------------------------- labeling

;; An edge with a known label gives the same label to its reverse edge
;; (still unlabelled); both are then plotted.
(defrule match_edge
   (stage (value labeling))
   ?known <- (edge (p1 ?a) (p2 ?b) (label ?lab&+|-|B))
   ?rev <- (edge (p1 ?b) (p2 ?a) (label nil))
   =>
   (modify ?known (plotted t))
   (modify ?rev (label ?lab) (plotted t)))

;; The junction catalogue, one rule per way a known label forces the others.

;; L: one edge convex or concave -> the other is a boundary.
(defrule label_L
   (stage (value labeling))
   (junction (type L) (base_point ?base))
   (edge (p1 ?base) (p2 ?p1) (label +|-))
   ?e <- (edge (p1 ?base) (p2 ~?p1) (label nil))
   =>
   (modify ?e (label B)))

;; Tee: the two collinear edges (p1, p3) are boundaries; A when p1 is still
;; unlabelled, B when p3 is.
(defrule label_tee_A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type tee) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   ?e1 <- (edge (p1 ?base) (p2 ?p1) (label nil))
   ?e3 <- (edge (p1 ?base) (p2 ?p3))
   =>
   (modify ?e1 (label B))
   (modify ?e3 (label B)))

(defrule label_tee_B
   (stage (value labeling))
   (junction (type tee) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   ?e1 <- (edge (p1 ?base) (p2 ?p1))
   ?e3 <- (edge (p1 ?base) (p2 ?p3) (label nil))
   =>
   (modify ?e1 (label B))
   (modify ?e3 (label B)))

;; Fork: one convex edge -> all convex.
(defrule label_fork-1
   (stage (value labeling))
   (junction (type fork) (base_point ?base))
   (edge (p1 ?base) (p2 ?p1) (label +))
   ?e2 <- (edge (p1 ?base) (p2 ?p2&~?p1) (label nil))
   ?e3 <- (edge (p1 ?base) (p2 ~?p2&~?p1))
   =>
   (modify ?e2 (label +))
   (modify ?e3 (label +)))

;; Fork: a boundary and a concave edge -> the third is a boundary.
(defrule label_fork-2
   (stage (value labeling))
   (junction (type fork) (base_point ?base))
   (edge (p1 ?base) (p2 ?p1) (label B))
   (edge (p1 ?base) (p2 ?p2&~?p1) (label -))
   ?e3 <- (edge (p1 ?base) (p2 ~?p2&~?p1) (label nil))
   =>
   (modify ?e3 (label B)))

;; Fork: two boundaries -> the third is concave.
(defrule label_fork-3
   (stage (value labeling))
   (junction (type fork) (base_point ?base))
   (edge (p1 ?base) (p2 ?p1) (label B))
   (edge (p1 ?base) (p2 ?p2&~?p1) (label B))
   ?e3 <- (edge (p1 ?base) (p2 ~?p2&~?p1) (label nil))
   =>
   (modify ?e3 (label -)))

;; Fork: two concave -> the third is concave.
(defrule label_fork-4
   (stage (value labeling))
   (junction (type fork) (base_point ?base))
   (edge (p1 ?base) (p2 ?p1) (label -))
   (edge (p1 ?base) (p2 ?p2&~?p1) (label -))
   ?e3 <- (edge (p1 ?base) (p2 ~?p2&~?p1) (label nil))
   =>
   (modify ?e3 (label -)))

;; Arrow (barbs p1, p3; shaft p2).  Each case has an A rule (salience 5,
;; the shaft or first target unlabelled) and a B rule (the other target
;; unlabelled).

;; Barb p1 is B or - -> shaft +, barb p3 the same as p1.
(defrule label_arrow-1A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1) (label ?lab&B|-))
   ?shaft <- (edge (p1 ?base) (p2 ?p2) (label nil))
   ?barb <- (edge (p1 ?base) (p2 ?p3))
   =>
   (modify ?shaft (label +))
   (modify ?barb (label ?lab)))

(defrule label_arrow-1B
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1) (label ?lab&B|-))
   ?shaft <- (edge (p1 ?base) (p2 ?p2))
   ?barb <- (edge (p1 ?base) (p2 ?p3) (label nil))
   =>
   (modify ?shaft (label +))
   (modify ?barb (label ?lab)))

;; Barb p3 is B or - -> shaft +, barb p1 the same as p3.
(defrule label_arrow-2A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p3) (label ?lab&B|-))
   ?shaft <- (edge (p1 ?base) (p2 ?p2) (label nil))
   ?barb <- (edge (p1 ?base) (p2 ?p1))
   =>
   (modify ?shaft (label +))
   (modify ?barb (label ?lab)))

(defrule label_arrow-2B
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p3) (label ?lab&B|-))
   ?shaft <- (edge (p1 ?base) (p2 ?p2))
   ?barb <- (edge (p1 ?base) (p2 ?p1) (label nil))
   =>
   (modify ?shaft (label +))
   (modify ?barb (label ?lab)))

;; Barb p1 is + -> shaft -, barb p3 +.
(defrule label_arrow-3A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1) (label +))
   ?shaft <- (edge (p1 ?base) (p2 ?p2) (label nil))
   ?barb <- (edge (p1 ?base) (p2 ?p3))
   =>
   (modify ?shaft (label -))
   (modify ?barb (label +)))

(defrule label_arrow-3B
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p1) (label +))
   ?shaft <- (edge (p1 ?base) (p2 ?p2))
   ?barb <- (edge (p1 ?base) (p2 ?p3) (label nil))
   =>
   (modify ?shaft (label -))
   (modify ?barb (label +)))

;; Barb p3 is + -> shaft -, barb p1 +.
(defrule label_arrow-4A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p3) (label +))
   ?shaft <- (edge (p1 ?base) (p2 ?p2) (label nil))
   ?barb <- (edge (p1 ?base) (p2 ?p1))
   =>
   (modify ?shaft (label -))
   (modify ?barb (label +)))

(defrule label_arrow-4B
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p3) (label +))
   ?shaft <- (edge (p1 ?base) (p2 ?p2))
   ?barb <- (edge (p1 ?base) (p2 ?p1) (label nil))
   =>
   (modify ?shaft (label -))
   (modify ?barb (label +)))

;; Shaft p2 is - -> both barbs +.
(defrule label_arrow-5A
   (declare (salience 5))
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p2) (label -))
   ?b1 <- (edge (p1 ?base) (p2 ?p1))
   ?b3 <- (edge (p1 ?base) (p2 ?p3) (label nil))
   =>
   (modify ?b1 (label +))
   (modify ?b3 (label +)))

(defrule label_arrow-5B
   (stage (value labeling))
   (junction (type arrow) (base_point ?base) (p1 ?p1) (p2 ?p2) (p3 ?p3))
   (edge (p1 ?base) (p2 ?p2) (label -))
   ?b1 <- (edge (p1 ?base) (p2 ?p1) (label nil))
   ?b3 <- (edge (p1 ?base) (p2 ?p3))
   =>
   (modify ?b1 (label +))
   (modify ?b3 (label +)))

;; Nothing left to propagate: plot what remains.
(defrule done_labeling
   (declare (salience -10))
   ?s <- (stage (value labeling))
   =>
   (modify ?s (value plot_remaining_edges)))

;;; --------------------------------------------------------------- plotting

;; A labelled edge not plotted yet: plot it.
(defrule plot_remaining
   (stage (value plot_remaining_edges))
   ?e <- (edge (plotted nil) (label ?lab&~nil) (p1 ?a) (p2 ?b))
   =>
   (modify ?e (plotted t)))

;; An edge that could not be labelled: assume it is on a boundary and plot
;; it (its label stays nil).
(defrule plot_boundaries
   (stage (value plot_remaining_edges))
   ?e <- (edge (plotted nil) (label nil) (p1 ?a) (p2 ?b))
   =>
   (modify ?e (plotted t)))

;; Every edge plotted: finished.
(defrule done_plotting
   (declare (salience -10))
   ?s <- (stage (value plot_remaining_edges))
   (not (edge (plotted nil)))
   =>
   (modify ?s (value done)))

;;; ----------------------------------------------------------------- answer

;; Called by the driver after (run) with --answer: every directed edge.
(deffunction bench-answer ()
   (do-for-all-facts ((?e edge)) TRUE
      (printout t "EDGE " ?e:p1 " " ?e:p2 " " ?e:label crlf)))
